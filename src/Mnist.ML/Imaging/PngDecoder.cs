// PNG decoder: every colour type and bit depth, tRNS, Adam7 interlace, all five filters, eXIf orientation;
// every chunk CRC is checked.
// Spec: https://www.w3.org/TR/png/. 16-bit samples keep their high byte, as PIL and libpng's strip_16 do.
using System.Buffers.Binary;
using System.IO.Compression;

namespace Mnist.ML.Imaging;

internal static class PngDecoder
{
    public static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    // Adam7 passes: x start, y start, x step, y step.
    private static readonly int[][] Adam7 =
    [
        [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
    ];

    private sealed class Header
    {
        public int Width, Height, BitDepth, ColorType, Channels;
        public bool Interlaced;
        public byte[]? Palette;        // (entries, 3)
        public byte[]? PaletteAlpha;   // tRNS for colour type 3
        public int[]? TransparentKey;  // tRNS for colour types 0 and 2, raw sample values
    }

    public static Image Decode(ReadOnlySpan<byte> data, ImageDecodeOptions options)
    {
        if (!data.StartsWith(Signature))
        {
            throw new ImageFormatException("Not a PNG file: the 8-byte signature is wrong.");
        }
        Header? h = null;
        using var idat = new MemoryStream();
        int pos = Signature.Length;
        bool ended = false;
        int orientation = 1;
        while (!ended)
        {
            if (data.Length - pos < 12)
            {
                throw new ImageFormatException($"PNG is truncated at byte {pos}: no IEND chunk.");
            }
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            if (length > int.MaxValue || length > data.Length - pos - 12)
            {
                throw new ImageFormatException($"PNG chunk at byte {pos} claims {length} bytes, past the end of the file: truncated or corrupt.");
            }
            ReadOnlySpan<byte> typeAndData = data.Slice(pos + 4, 4 + (int)length);
            ReadOnlySpan<byte> chunk = typeAndData[4..];
            string type = System.Text.Encoding.ASCII.GetString(typeAndData[..4]);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + (int)length)..]);
            if (Crc32.Compute(typeAndData) != crc)
            {
                throw new ImageFormatException($"PNG chunk '{type}' at byte {pos} fails its CRC check: the file is corrupt.");
            }
            pos += 12 + (int)length;

            if (h == null && type != "IHDR")
            {
                throw new ImageFormatException($"PNG must start with IHDR, found '{type}'.");
            }
            switch (type)
            {
                case "IHDR":
                    if (h != null)
                    {
                        throw new ImageFormatException("PNG has two IHDR chunks.");
                    }
                    h = ReadHeader(chunk, options);
                    break;
                case "PLTE":
                    if (chunk.Length % 3 != 0 || chunk.Length == 0 || chunk.Length > 256 * 3)
                    {
                        throw new ImageFormatException($"PNG palette has {chunk.Length} bytes; it must be 3 to 768 and a multiple of 3.");
                    }
                    h!.Palette = chunk.ToArray();
                    break;
                case "tRNS":
                    ReadTransparency(h!, chunk);
                    break;
                case "IDAT":
                    idat.Write(chunk);
                    break;
                case "eXIf":
                    orientation = Orientation.FromTiff(chunk);
                    break;
                case "IEND":
                    ended = true;
                    break;
                default:
                    // Bit 5 of the first letter clear = critical chunk: we may not ignore it.
                    if ((typeAndData[0] & 0x20) == 0)
                    {
                        throw new UnsupportedImageException($"PNG uses the critical chunk '{type}', which this decoder does not know.");
                    }
                    break;
            }
        }
        if (h!.ColorType == 3 && h.Palette == null)
        {
            throw new ImageFormatException("PNG with palette colour type has no PLTE chunk.");
        }
        if (idat.Length == 0)
        {
            throw new ImageFormatException("PNG has no image data (IDAT).");
        }

        byte[] raw = Inflate(idat, RawSize(h));
        var image = Image.Allocate(h.Width, h.Height, options, "PNG");
        if (!h.Interlaced)
        {
            DecodePass(h, raw, 0, image, 0, 0, 1, 1, h.Width, h.Height);
        }
        else
        {
            int offset = 0;
            foreach (int[] p in Adam7)
            {
                int pw = (h.Width - p[0] + p[2] - 1) / p[2];
                int ph = (h.Height - p[1] + p[3] - 1) / p[3];
                if (pw > 0 && ph > 0)
                {
                    offset = DecodePass(h, raw, offset, image, p[0], p[1], p[2], p[3], pw, ph);
                }
            }
        }
        return Orientation.Apply(image, orientation);
    }

    private static Header ReadHeader(ReadOnlySpan<byte> c, ImageDecodeOptions options)
    {
        if (c.Length != 13)
        {
            throw new ImageFormatException($"PNG IHDR has {c.Length} bytes instead of 13.");
        }
        uint w = BinaryPrimitives.ReadUInt32BigEndian(c);
        uint hh = BinaryPrimitives.ReadUInt32BigEndian(c[4..]);
        Image.CheckSize(w, hh, options, "PNG");
        var h = new Header { Width = (int)w, Height = (int)hh, BitDepth = c[8], ColorType = c[9], Interlaced = c[12] == 1 };
        h.Channels = h.ColorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };
        bool depthOk = h.ColorType switch
        {
            0 => h.BitDepth is 1 or 2 or 4 or 8 or 16,
            3 => h.BitDepth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => h.BitDepth is 8 or 16,
            _ => false,
        };
        if (h.Channels == 0 || !depthOk)
        {
            throw new ImageFormatException($"PNG colour type {h.ColorType} with bit depth {h.BitDepth} is not a valid combination.");
        }
        if (c[10] != 0 || c[11] != 0 || c[12] > 1)
        {
            throw new ImageFormatException($"PNG compression {c[10]}, filter {c[11]} or interlace {c[12]} method is invalid.");
        }
        return h;
    }

    private static void ReadTransparency(Header h, ReadOnlySpan<byte> c)
    {
        switch (h.ColorType)
        {
            case 3:
                h.PaletteAlpha = c[..Math.Min(c.Length, 256)].ToArray();
                break;
            case 0 when c.Length >= 2:
                h.TransparentKey = [BinaryPrimitives.ReadUInt16BigEndian(c)];
                break;
            case 2 when c.Length >= 6:
                h.TransparentKey =
                [
                    BinaryPrimitives.ReadUInt16BigEndian(c), BinaryPrimitives.ReadUInt16BigEndian(c[2..]), BinaryPrimitives.ReadUInt16BigEndian(c[4..]),
                ];
                break;
            default:
                // tRNS is ancillary; a malformed one (or one on an alpha type) is ignored like libpng does.
                break;
        }
    }

    private static long RowBytes(Header h, long width) => (width * h.Channels * h.BitDepth + 7) / 8;

    private static long RawSize(Header h)
    {
        if (!h.Interlaced)
        {
            return h.Height * (1 + RowBytes(h, h.Width));
        }
        long total = 0;
        foreach (int[] p in Adam7)
        {
            long pw = (h.Width - p[0] + p[2] - 1) / p[2];
            long ph = (h.Height - p[1] + p[3] - 1) / p[3];
            if (pw > 0 && ph > 0)
            {
                total += ph * (1 + RowBytes(h, pw));
            }
        }
        return total;
    }

    /// <summary>Inflates exactly the bytes the header calls for: a zlib bomb can never make us allocate more.</summary>
    private static byte[] Inflate(MemoryStream idat, long expected)
    {
        if (expected > int.MaxValue - 64)
        {
            throw new UnsupportedImageException($"PNG needs {expected:N0} bytes of pixel data, more than this decoder handles.");
        }
        idat.Position = 0;
        var raw = new byte[expected];
        int got;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress, leaveOpen: true);
            got = z.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new ImageFormatException("PNG image data (zlib stream) is corrupt: " + e.Message, e);
        }
        if (got < raw.Length)
        {
            throw new ImageFormatException($"PNG image data is truncated: {got:N0} of {raw.Length:N0} bytes.");
        }
        return raw;
    }

    /// <summary>Unfilters one (sub)image in place and writes its pixels to the image grid; returns the offset after it.</summary>
    private static int DecodePass(Header h, byte[] raw, int offset, Image image, int x0, int y0, int dx, int dy, int pw, int ph)
    {
        int rowBytes = (int)RowBytes(h, pw);
        int bpp = Math.Max(1, h.Channels * h.BitDepth / 8);
        for (int y = 0; y < ph; y++)
        {
            int filter = raw[offset];
            Span<byte> row = raw.AsSpan(offset + 1, rowBytes);
            ReadOnlySpan<byte> prior = y == 0 ? ReadOnlySpan<byte>.Empty : raw.AsSpan(offset - rowBytes, rowBytes);
            Unfilter(filter, row, prior, bpp);
            WriteRow(h, row, image, x0, y0 + y * dy, dx, pw);
            offset += 1 + rowBytes;
        }
        return offset;
    }

    /// <summary>Reverses one row's filter; <paramref name="prior"/> is empty for the first row (treated as zeros).</summary>
    internal static void Unfilter(int filter, Span<byte> row, ReadOnlySpan<byte> prior, int bpp)
    {
        bool hasPrior = !prior.IsEmpty;
        switch (filter)
        {
            case 0:
                break;
            case 1: // Sub
                for (int i = bpp; i < row.Length; i++)
                {
                    row[i] += row[i - bpp];
                }
                break;
            case 2: // Up
                if (hasPrior)
                {
                    for (int i = 0; i < row.Length; i++)
                    {
                        row[i] += prior[i];
                    }
                }
                break;
            case 3: // Average
                for (int i = 0; i < row.Length; i++)
                {
                    int left = i >= bpp ? row[i - bpp] : 0;
                    int up = hasPrior ? prior[i] : 0;
                    row[i] += (byte)((left + up) >> 1);
                }
                break;
            case 4: // Paeth
                for (int i = 0; i < row.Length; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0;
                    int b = hasPrior ? prior[i] : 0;
                    int c = hasPrior && i >= bpp ? prior[i - bpp] : 0;
                    int p = a + b - c;
                    int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    row[i] += (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
                break;
            default:
                throw new ImageFormatException($"PNG row uses filter type {filter}; only 0-4 exist. The file is corrupt.");
        }
    }

    private static void WriteRow(Header h, ReadOnlySpan<byte> row, Image image, int x0, int y, int dx, int pw)
    {
        byte[] rgba = image.Rgba;
        int depth = h.BitDepth;
        int maxSample = (1 << depth) - 1;
        for (int i = 0; i < pw; i++)
        {
            int o = (y * image.Width + x0 + i * dx) * 4;
            switch (h.ColorType)
            {
                case 0:
                {
                    int s = Sample(row, i, depth);
                    byte g = depth == 16 ? (byte)(s >> 8) : (byte)(s * 255 / maxSample);
                    rgba[o] = rgba[o + 1] = rgba[o + 2] = g;
                    rgba[o + 3] = h.TransparentKey != null && h.TransparentKey[0] == s ? (byte)0 : (byte)255;
                    break;
                }
                case 3:
                {
                    int s = Sample(row, i, depth);
                    byte[] pal = h.Palette!;
                    if (s * 3 + 2 >= pal.Length)
                    {
                        // libpng rejects this too; PIL shows black. An error is the honest answer.
                        throw new ImageFormatException($"PNG pixel uses palette index {s}, but the palette has only {pal.Length / 3} entries.");
                    }
                    rgba[o] = pal[s * 3];
                    rgba[o + 1] = pal[s * 3 + 1];
                    rgba[o + 2] = pal[s * 3 + 2];
                    rgba[o + 3] = h.PaletteAlpha != null && s < h.PaletteAlpha.Length ? h.PaletteAlpha[s] : (byte)255;
                    break;
                }
                case 2:
                {
                    int r = Sample(row, i * 3, depth), g = Sample(row, i * 3 + 1, depth), b = Sample(row, i * 3 + 2, depth);
                    int shift = depth == 16 ? 8 : 0;
                    rgba[o] = (byte)(r >> shift);
                    rgba[o + 1] = (byte)(g >> shift);
                    rgba[o + 2] = (byte)(b >> shift);
                    int[]? key = h.TransparentKey;
                    rgba[o + 3] = key != null && key[0] == r && key[1] == g && key[2] == b ? (byte)0 : (byte)255;
                    break;
                }
                case 4:
                {
                    int shift = depth == 16 ? 8 : 0;
                    byte g = (byte)(Sample(row, i * 2, depth) >> shift);
                    rgba[o] = rgba[o + 1] = rgba[o + 2] = g;
                    rgba[o + 3] = (byte)(Sample(row, i * 2 + 1, depth) >> shift);
                    break;
                }
                default: // 6
                {
                    int shift = depth == 16 ? 8 : 0;
                    for (int c = 0; c < 4; c++)
                    {
                        rgba[o + c] = (byte)(Sample(row, i * 4 + c, depth) >> shift);
                    }
                    break;
                }
            }
        }
    }

    /// <summary>The index-th sample of a row, packed MSB first for depths under 8, big-endian for 16.</summary>
    private static int Sample(ReadOnlySpan<byte> row, int index, int depth)
    {
        switch (depth)
        {
            case 8:
                return row[index];
            case 16:
                return (row[index * 2] << 8) | row[index * 2 + 1];
            default:
                int bit = index * depth;
                int shift = 8 - depth - (bit & 7);
                return (row[bit >> 3] >> shift) & ((1 << depth) - 1);
        }
    }
}

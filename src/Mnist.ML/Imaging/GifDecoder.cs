// GIF decoder, first frame only: LZW, global/local palette, transparency (graphic control extension), interlace.
// Canvas pixels the first frame does not cover stay transparent (they composite to paper). Spec: GIF89a.
using System.Buffers.Binary;

namespace Mnist.ML.Imaging;

internal static class GifDecoder
{
    public static Image Decode(ReadOnlySpan<byte> d, ImageDecodeOptions options)
    {
        if (d.Length < 13)
        {
            throw new ImageFormatException("GIF is truncated inside its header.");
        }
        int width = BinaryPrimitives.ReadUInt16LittleEndian(d[6..]);
        int height = BinaryPrimitives.ReadUInt16LittleEndian(d[8..]);
        Image.CheckSize(width, height, options, "GIF");
        int flags = d[10];
        int pos = 13;
        byte[]? globalPalette = null;
        if ((flags & 0x80) != 0)
        {
            globalPalette = ReadPalette(d, ref pos, flags);
        }
        int transparent = -1;
        while (true)
        {
            if (pos >= d.Length)
            {
                throw new ImageFormatException("GIF is truncated: it ends before the first image.");
            }
            int block = d[pos++];
            if (block == 0x21)
            {
                if (pos >= d.Length)
                {
                    throw new ImageFormatException("GIF is truncated inside an extension.");
                }
                int label = d[pos++];
                if (label == 0xF9 && pos + 5 <= d.Length && d[pos] >= 4)
                {
                    transparent = (d[pos + 1] & 1) != 0 ? d[pos + 4] : -1;
                }
                SkipSubBlocks(d, ref pos);
            }
            else if (block == 0x2C)
            {
                return DecodeFrame(d, pos, width, height, globalPalette, transparent, options);
            }
            else if (block == 0x3B)
            {
                throw new ImageFormatException("GIF has no image: it ends before the first frame.");
            }
            else
            {
                throw new ImageFormatException($"GIF has an unknown block 0x{block:X2} at byte {pos - 1}: corrupt.");
            }
        }
    }

    private static Image DecodeFrame(ReadOnlySpan<byte> d, int pos, int width, int height, byte[]? globalPalette, int transparent, ImageDecodeOptions options)
    {
        if (pos + 9 > d.Length)
        {
            throw new ImageFormatException("GIF is truncated inside an image descriptor.");
        }
        int left = BinaryPrimitives.ReadUInt16LittleEndian(d[pos..]);
        int top = BinaryPrimitives.ReadUInt16LittleEndian(d[(pos + 2)..]);
        int fw = BinaryPrimitives.ReadUInt16LittleEndian(d[(pos + 4)..]);
        int fh = BinaryPrimitives.ReadUInt16LittleEndian(d[(pos + 6)..]);
        int flags = d[pos + 8];
        pos += 9;
        Image.CheckSize(fw, fh, options, "GIF frame");
        byte[] palette = (flags & 0x80) != 0 ? ReadPalette(d, ref pos, flags) : globalPalette
            ?? throw new ImageFormatException("GIF frame has no colour table (neither local nor global).");
        if (pos >= d.Length)
        {
            throw new ImageFormatException("GIF is truncated before its image data.");
        }
        int minCodeSize = d[pos++];
        if (minCodeSize is < 1 or > 11)
        {
            throw new ImageFormatException($"GIF LZW minimum code size {minCodeSize} is invalid.");
        }
        // Gather the sub-blocks into one LZW stream.
        using var lzw = new MemoryStream();
        while (true)
        {
            if (pos >= d.Length)
            {
                throw new ImageFormatException("GIF is truncated inside its image data.");
            }
            int n = d[pos++];
            if (n == 0)
            {
                break;
            }
            if (pos + n > d.Length)
            {
                throw new ImageFormatException("GIF is truncated inside its image data.");
            }
            lzw.Write(d.Slice(pos, n));
            pos += n;
        }
        var indices = new byte[fw * fh];
        int produced = Lzw(lzw.GetBuffer().AsSpan(0, (int)lzw.Length), minCodeSize, indices);
        if (produced < indices.Length)
        {
            throw new ImageFormatException($"GIF image data is truncated: {produced:N0} of {indices.Length:N0} pixels.");
        }

        var image = Image.Allocate(width, height, options, "GIF");
        byte[] rgba = image.Rgba;
        bool interlaced = (flags & 0x40) != 0;
        for (int row = 0; row < fh; row++)
        {
            int y = top + (interlaced ? InterlacedRow(row, fh) : row);
            if (y >= height)
            {
                continue;
            }
            for (int x = 0; x < fw && left + x < width; x++)
            {
                int index = indices[row * fw + x];
                int o = (y * width + left + x) * 4;
                if (index * 3 + 2 < palette.Length)
                {
                    rgba[o] = palette[index * 3];
                    rgba[o + 1] = palette[index * 3 + 1];
                    rgba[o + 2] = palette[index * 3 + 2];
                }
                rgba[o + 3] = index == transparent ? (byte)0 : (byte)255;
            }
        }
        return image;
    }

    /// <summary>The image row stored at position <paramref name="row"/> of an interlaced frame (passes of rows 0/8, 4/8, 2/4, 1/2).</summary>
    private static int InterlacedRow(int row, int h)
    {
        int p1 = (h + 7) / 8, p2 = (h + 3) / 8, p3 = (h + 1) / 4;
        if (row < p1)
        {
            return row * 8;
        }
        row -= p1;
        if (row < p2)
        {
            return 4 + row * 8;
        }
        row -= p2;
        if (row < p3)
        {
            return 2 + row * 4;
        }
        row -= p3;
        return 1 + row * 2;
    }

    /// <summary>Variable-width LZW (LSB first, 12-bit max, clear and end codes); returns how many indices it wrote.</summary>
    internal static int Lzw(ReadOnlySpan<byte> data, int minCodeSize, Span<byte> output)
    {
        int clear = 1 << minCodeSize, end = clear + 1;
        var prefix = new short[4096];
        var suffix = new byte[4096];
        var length = new short[4096];
        var first = new byte[4096];
        for (int i = 0; i < clear; i++)
        {
            suffix[i] = first[i] = (byte)i;
            length[i] = 1;
        }
        int codeSize = minCodeSize + 1, next = clear + 2, prev = -1;
        int bitPos = 0, written = 0;
        long totalBits = (long)data.Length * 8;
        while (written < output.Length && bitPos + codeSize <= totalBits)
        {
            int code = 0;
            for (int b = 0; b < codeSize; b++, bitPos++)
            {
                code |= ((data[bitPos >> 3] >> (bitPos & 7)) & 1) << b;
            }
            if (code == clear)
            {
                codeSize = minCodeSize + 1;
                next = clear + 2;
                prev = -1;
                continue;
            }
            if (code == end)
            {
                break;
            }
            int emit;
            if (code < next && (code < clear || code > end))
            {
                emit = code;
            }
            else if (code == next && prev >= 0)
            {
                emit = prev; // KwKwK: the string of prev plus its own first byte
            }
            else
            {
                throw new ImageFormatException($"GIF LZW code {code} is not yet defined: corrupt image data.");
            }
            // Write the string for emit backwards from its end.
            int len = length[emit];
            int stop = Math.Min(output.Length, written + len);
            int c = emit;
            for (int i = written + len - 1; i >= written; i--)
            {
                if (i < stop)
                {
                    output[i] = suffix[c];
                }
                c = prefix[c];
            }
            written = stop;
            if (emit == prev && code == next)
            {
                if (written < output.Length)
                {
                    output[written++] = first[prev];
                }
            }
            if (prev >= 0 && next < 4096)
            {
                prefix[next] = (short)prev;
                suffix[next] = first[code == next ? prev : code];
                first[next] = first[prev];
                length[next] = (short)(length[prev] + 1);
                next++;
                if (next == 1 << codeSize && codeSize < 12)
                {
                    codeSize++;
                }
            }
            prev = code;
        }
        return written;
    }

    private static byte[] ReadPalette(ReadOnlySpan<byte> d, ref int pos, int flags)
    {
        int size = 3 << ((flags & 7) + 1);
        if (pos + size > d.Length)
        {
            throw new ImageFormatException("GIF is truncated inside its colour table.");
        }
        byte[] palette = d.Slice(pos, size).ToArray();
        pos += size;
        return palette;
    }

    private static void SkipSubBlocks(ReadOnlySpan<byte> d, ref int pos)
    {
        while (pos < d.Length)
        {
            int n = d[pos++];
            if (n == 0)
            {
                return;
            }
            pos += n;
        }
        throw new ImageFormatException("GIF is truncated inside an extension block.");
    }
}

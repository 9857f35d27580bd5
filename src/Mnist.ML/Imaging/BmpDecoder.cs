// BMP decoder: 1/4/8-bit palette, 16/24/32-bit BI_RGB and BI_BITFIELDS, bottom-up and top-down rows.
// Follows what PIL does where BMP is vague: 32-bit BI_RGB has no alpha; alpha only when a bitfield mask says so.
using System.Buffers.Binary;
using System.Numerics;

namespace Mnist.ML.Imaging;

internal static class BmpDecoder
{
    public static Image Decode(ReadOnlySpan<byte> d, ImageDecodeOptions options)
    {
        if (d.Length < 26 || d[0] != 'B' || d[1] != 'M')
        {
            throw new ImageFormatException("BMP is truncated: shorter than its headers.");
        }
        uint pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(d[10..]);
        int headerSize = BinaryPrimitives.ReadInt32LittleEndian(d[14..]);
        long width, height;
        int bpp, compression = 0, colorsUsed = 0, paletteEntrySize = 4;
        if (headerSize == 12)
        {
            // OS/2 BITMAPCOREHEADER: 16-bit sizes, 3-byte palette entries.
            width = BinaryPrimitives.ReadUInt16LittleEndian(d[18..]);
            height = BinaryPrimitives.ReadInt16LittleEndian(d[20..]);
            bpp = BinaryPrimitives.ReadUInt16LittleEndian(d[24..]);
            paletteEntrySize = 3;
        }
        else if (headerSize is >= 40 and <= 1024)
        {
            if (d.Length < 14 + 40)
            {
                throw new ImageFormatException("BMP is truncated inside its info header.");
            }
            width = BinaryPrimitives.ReadInt32LittleEndian(d[18..]);
            height = BinaryPrimitives.ReadInt32LittleEndian(d[22..]);
            bpp = BinaryPrimitives.ReadUInt16LittleEndian(d[28..]);
            compression = BinaryPrimitives.ReadInt32LittleEndian(d[30..]);
            colorsUsed = BinaryPrimitives.ReadInt32LittleEndian(d[46..]);
        }
        else
        {
            throw new ImageFormatException($"BMP info header size {headerSize} is not a known BMP version.");
        }

        bool topDown = height < 0;
        height = Math.Abs(height);
        Image.CheckSize(width, height, options, "BMP");
        if (compression is 1 or 2 or 4 or 5)
        {
            throw new UnsupportedImageException($"BMP compression {compression} (RLE/JPEG/PNG inside BMP) is not supported. Save it as an uncompressed BMP or PNG.");
        }
        if (compression is not (0 or 3 or 6))
        {
            throw new ImageFormatException($"BMP compression {compression} is invalid.");
        }
        if (bpp is not (1 or 4 or 8 or 16 or 24 or 32))
        {
            throw new UnsupportedImageException($"BMP with {bpp} bits per pixel is not supported.");
        }

        // Channel masks: in the header for V2+ headers (>= 52 bytes), right after a 40-byte header otherwise.
        uint[] masks = bpp switch
        {
            16 => [0x7C00, 0x03E0, 0x001F, 0],
            _ => [0xFF0000, 0xFF00, 0xFF, 0],
        };
        int afterHeader = 14 + headerSize;
        if (compression is 3 or 6)
        {
            if (bpp is not (16 or 32))
            {
                throw new ImageFormatException($"BMP bitfields with {bpp} bits per pixel is invalid.");
            }
            int maskCount = compression == 6 || headerSize >= 56 ? 4 : 3;
            int maskAt = headerSize >= 52 ? 14 + 40 : afterHeader;
            if (d.Length < maskAt + maskCount * 4)
            {
                throw new ImageFormatException("BMP is truncated inside its bitfield masks.");
            }
            masks = new uint[4];
            for (int i = 0; i < maskCount; i++)
            {
                masks[i] = BinaryPrimitives.ReadUInt32LittleEndian(d[(maskAt + i * 4)..]);
            }
            if (headerSize == 40)
            {
                afterHeader += maskCount * 4;
            }
        }

        byte[]? palette = null;
        if (bpp <= 8)
        {
            int entries = colorsUsed > 0 && colorsUsed <= (1 << bpp) ? colorsUsed : 1 << bpp;
            // Writers that store a short palette and leave colorsUsed 0 exist; take what lies before the pixels.
            int room = (int)Math.Min(int.MaxValue, Math.Max(0, (long)pixelOffset - afterHeader)) / paletteEntrySize;
            entries = Math.Min(entries, room);
            if (entries == 0 || afterHeader + (long)entries * paletteEntrySize > d.Length)
            {
                throw new ImageFormatException("BMP palette is missing or truncated.");
            }
            palette = new byte[entries * 3];
            for (int i = 0; i < entries; i++)
            {
                int p = afterHeader + i * paletteEntrySize;
                palette[i * 3] = d[p + 2];
                palette[i * 3 + 1] = d[p + 1];
                palette[i * 3 + 2] = d[p];
            }
        }

        long stride = (width * bpp + 31) / 32 * 4;
        if (pixelOffset > d.Length || stride * height > d.Length - pixelOffset)
        {
            throw new ImageFormatException($"BMP is truncated: {width}x{height} at {bpp} bits needs {stride * height:N0} bytes of pixels after byte {pixelOffset}, the file has {Math.Max(0, d.Length - (long)pixelOffset):N0}.");
        }

        var image = Image.Allocate(width, height, options, "BMP");
        byte[] rgba = image.Rgba;
        int w = (int)width;
        var fields = new BitField[4];
        for (int i = 0; i < 4; i++)
        {
            fields[i] = new BitField(masks[i]);
        }
        bool hasAlpha = masks[3] != 0;
        for (int y = 0; y < height; y++)
        {
            int srcRow = topDown ? y : (int)height - 1 - y;
            ReadOnlySpan<byte> row = d.Slice((int)(pixelOffset + srcRow * stride), (int)stride);
            int o = y * w * 4;
            for (int x = 0; x < w; x++, o += 4)
            {
                if (palette != null)
                {
                    int bit = x * bpp;
                    int index = (row[bit >> 3] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
                    if (index * 3 >= palette.Length)
                    {
                        throw new ImageFormatException($"BMP pixel uses palette index {index}, but the palette has {palette.Length / 3} entries.");
                    }
                    rgba[o] = palette[index * 3];
                    rgba[o + 1] = palette[index * 3 + 1];
                    rgba[o + 2] = palette[index * 3 + 2];
                    rgba[o + 3] = 255;
                }
                else if (bpp == 24)
                {
                    rgba[o] = row[x * 3 + 2];
                    rgba[o + 1] = row[x * 3 + 1];
                    rgba[o + 2] = row[x * 3];
                    rgba[o + 3] = 255;
                }
                else
                {
                    uint v = bpp == 16 ? BinaryPrimitives.ReadUInt16LittleEndian(row[(x * 2)..]) : BinaryPrimitives.ReadUInt32LittleEndian(row[(x * 4)..]);
                    rgba[o] = fields[0].Extract(v);
                    rgba[o + 1] = fields[1].Extract(v);
                    rgba[o + 2] = fields[2].Extract(v);
                    rgba[o + 3] = hasAlpha ? fields[3].Extract(v) : (byte)255;
                }
            }
        }
        return image;
    }

    /// <summary>One channel of a bitfield pixel, scaled to 0..255 as v * 255 / max (PIL's rounding).</summary>
    private readonly struct BitField(uint mask)
    {
        private readonly int _shift = mask == 0 ? 0 : BitOperations.TrailingZeroCount(mask);
        private readonly uint _max = mask == 0 ? 0 : mask >> BitOperations.TrailingZeroCount(mask);

        public byte Extract(uint pixel) =>
            _max == 0 ? (byte)0 : (byte)((ulong)((pixel & mask) >> _shift) * 255 / _max);
    }
}

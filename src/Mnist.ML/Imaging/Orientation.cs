// EXIF orientation (tag 0x0112, values 1-8): turns the stored pixels so the image reads upright, like PIL's exif_transpose.
using System.Buffers.Binary;

namespace Mnist.ML.Imaging;

internal static class Orientation
{
    /// <summary>
    /// The orientation tag from EXIF data (a TIFF header, then IFD0), as JPEG APP1 and PNG eXIf carry it;
    /// 1 (upright) when absent or malformed, since a broken EXIF block must not cost the user the image.
    /// </summary>
    public static int FromTiff(ReadOnlySpan<byte> tiff)
    {
        if (tiff.StartsWith("Exif\0\0"u8))
        {
            tiff = tiff[6..]; // some PNG writers keep JPEG's APP1 prefix
        }
        if (tiff.Length < 8 || (tiff[0] != 'I' && tiff[0] != 'M'))
        {
            return 1;
        }
        bool little = tiff[0] == 'I';
        long ifd = little ? BinaryPrimitives.ReadUInt32LittleEndian(tiff[4..]) : BinaryPrimitives.ReadUInt32BigEndian(tiff[4..]);
        if (ifd < 8 || ifd + 2 > tiff.Length)
        {
            return 1;
        }
        int count = U16(tiff, (int)ifd, little);
        for (int i = 0; i < count; i++)
        {
            int e = (int)ifd + 2 + i * 12;
            if (e + 12 > tiff.Length)
            {
                return 1;
            }
            if (U16(tiff, e, little) == 0x0112 && U16(tiff, e + 2, little) == 3)
            {
                int o = U16(tiff, e + 8, little);
                return o is >= 1 and <= 8 ? o : 1;
            }
        }
        return 1;
    }

    private static int U16(ReadOnlySpan<byte> s, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(s[at..]) : BinaryPrimitives.ReadUInt16BigEndian(s[at..]);

    public static Image Apply(Image src, int orientation)
    {
        if (orientation is < 2 or > 8)
        {
            return src;
        }
        int w = src.Width, h = src.Height;
        bool swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        var dst = new Image(ow, oh, new byte[src.Rgba.Length]);
        uint[] s = new uint[w * h];
        Buffer.BlockCopy(src.Rgba, 0, s, 0, src.Rgba.Length);
        var d = new uint[ow * oh];
        for (int y = 0; y < oh; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                // Source pixel for output (x, y).
                var (sx, sy) = orientation switch
                {
                    2 => (w - 1 - x, y),         // mirror horizontal
                    3 => (w - 1 - x, h - 1 - y), // rotate 180
                    4 => (x, h - 1 - y),         // mirror vertical
                    5 => (y, x),                 // transpose
                    6 => (y, h - 1 - x),         // rotate 90 clockwise
                    7 => (w - 1 - y, h - 1 - x), // transverse
                    _ => (w - 1 - y, x),         // 8: rotate 90 counter-clockwise
                };
                d[y * ow + x] = s[sy * w + sx];
            }
        }
        Buffer.BlockCopy(d, 0, dst.Rgba, 0, dst.Rgba.Length);
        return dst;
    }
}

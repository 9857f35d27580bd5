// EXIF orientation (tag 0x0112, values 1-8): turns the stored pixels so the image reads upright, like PIL's exif_transpose.
namespace Mnist.ML.Imaging;

internal static class Orientation
{
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

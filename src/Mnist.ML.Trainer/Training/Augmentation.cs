// Random affine augmentation of 28x28 training images: shift +-2 px, rotate +-10 degrees, scale
// 0.9..1.1 about the image centre, by inverse mapping with bilinear sampling (zero outside).
namespace Mnist.ML.Trainer.Training;

internal static class Augmentation
{
    public const int Side = 28;
    public const double MaxShift = 2, MaxDegrees = 10, MinScale = 0.9, MaxScale = 1.1;

    /// <summary>Writes a randomly transformed copy of <paramref name="image"/> (28x28) into <paramref name="output"/>.</summary>
    public static void Apply(ReadOnlySpan<float> image, Span<float> output, Rng rng)
    {
        double dx = rng.Uniform(-MaxShift, MaxShift), dy = rng.Uniform(-MaxShift, MaxShift);
        double angle = rng.Uniform(-MaxDegrees, MaxDegrees) * Math.PI / 180;
        double scale = rng.Uniform(MinScale, MaxScale);
        Transform(image, output, dx, dy, angle, scale);
    }

    /// <summary>output(p) = image(R(-angle) (p - c - d) / scale + c), c the centre (13.5, 13.5).</summary>
    public static void Transform(ReadOnlySpan<float> image, Span<float> output, double dx, double dy, double angle, double scale)
    {
        const double c = (Side - 1) / 2.0;
        double cos = Math.Cos(angle) / scale, sin = Math.Sin(angle) / scale;
        for (int y = 0; y < Side; y++)
        {
            for (int x = 0; x < Side; x++)
            {
                double px = x - c - dx, py = y - c - dy;
                double sx = cos * px + sin * py + c, sy = -sin * px + cos * py + c;
                output[y * Side + x] = Sample(image, sx, sy);
            }
        }
    }

    private static float Sample(ReadOnlySpan<float> image, double x, double y)
    {
        int x0 = (int)Math.Floor(x), y0 = (int)Math.Floor(y);
        float fx = (float)(x - x0), fy = (float)(y - y0);
        return (1 - fy) * ((1 - fx) * At(image, x0, y0) + fx * At(image, x0 + 1, y0))
            + fy * ((1 - fx) * At(image, x0, y0 + 1) + fx * At(image, x0 + 1, y0 + 1));
    }

    private static float At(ReadOnlySpan<float> image, int x, int y) =>
        (uint)x < Side && (uint)y < Side ? image[y * Side + x] : 0f;
}

// What the model sees: a 28x28 MNIST-style digit, or the news that the image holds no ink.
namespace Mnist.ML.Imaging;

/// <summary>
/// A 28x28 digit in MNIST's convention: row-major, 0 = background, 1 = ink (light ink on dark).
/// Immutable and safe to share between threads.
/// </summary>
public sealed class PreprocessedDigit
{
    private readonly float[] _pixels;

    internal PreprocessedDigit(float[] pixels, bool hasInk)
    {
        _pixels = pixels;
        HasInk = hasInk;
    }

    /// <summary>False when the image was blank (no stroke stood out from the background); then every pixel is 0.</summary>
    public bool HasInk { get; }

    /// <summary>784 values in 0..1, row-major 28x28, ink bright.</summary>
    public ReadOnlySpan<float> Pixels => _pixels;

    /// <summary>The 28x28 as an 8-bit grayscale PNG (ink white), to show or log what the model saw.</summary>
    public byte[] ToPng()
    {
        var gray = new byte[_pixels.Length];
        for (int i = 0; i < gray.Length; i++)
        {
            gray[i] = (byte)Math.Clamp(MathF.Round(_pixels[i] * 255f), 0f, 255f);
        }
        return PngEncoder.EncodeGray8(gray, MnistPreprocessor.Size, MnistPreprocessor.Size);
    }
}

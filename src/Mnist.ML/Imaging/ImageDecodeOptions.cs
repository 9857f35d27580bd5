// Limits that keep decoding hostile or huge images bounded in memory and time.
namespace Mnist.ML.Imaging;

/// <summary>
/// Limits applied while decoding an image. Anything over a limit is rejected with
/// <see cref="UnsupportedImageException"/> before large buffers are allocated.
/// Immutable and safe to share between threads.
/// </summary>
public sealed record ImageDecodeOptions
{
    /// <summary>The default limits: 50 MiB of encoded bytes, 40 megapixels.</summary>
    public static ImageDecodeOptions Default { get; } = new();

    /// <summary>Largest encoded image accepted, in bytes. Default 50 MiB.</summary>
    public long MaxBytes { get; init; } = 50L * 1024 * 1024;

    /// <summary>Largest decoded image accepted, in pixels (width × height). Default 40,000,000.</summary>
    public long MaxPixels { get; init; } = 40_000_000;
}

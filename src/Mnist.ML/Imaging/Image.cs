// The decoded picture every decoder returns: Width x Height pixels, RGBA 8 bits per channel, rows top to bottom.
namespace Mnist.ML.Imaging;

internal sealed class Image
{
    public Image(int width, int height, byte[] rgba)
    {
        if (width <= 0 || height <= 0 || rgba.Length != (long)width * height * 4)
        {
            throw new ArgumentException($"RGBA buffer of {rgba.Length} bytes does not hold {width}x{height} pixels.");
        }
        Width = width;
        Height = height;
        Rgba = rgba;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Pixels (Height, Width, 4): R, G, B, A; alpha not premultiplied.</summary>
    public byte[] Rgba { get; }

    /// <summary>Checks the size against the limits, then allocates an image initialised to transparent black.</summary>
    public static Image Allocate(long width, long height, ImageDecodeOptions options, string format)
    {
        CheckSize(width, height, options, format);
        return new Image((int)width, (int)height, new byte[width * height * 4]);
    }

    /// <summary>Refuses empty sizes as corrupt and sizes over <see cref="ImageDecodeOptions.MaxPixels"/> as unsupported.</summary>
    public static void CheckSize(long width, long height, ImageDecodeOptions options, string format)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ImageFormatException($"{format} header gives an empty size {width}x{height}: the file is corrupt.");
        }
        // Checked before any allocation, so a lying header cannot make us allocate gigabytes.
        if (width > 65535 * 4 || height > 65535 * 4 || width * height > options.MaxPixels)
        {
            throw new UnsupportedImageException(
                $"{format} image is {width}x{height} ({width * height:N0} pixels), over the limit of {options.MaxPixels:N0} pixels. " +
                "Shrink the image or raise ImageDecodeOptions.MaxPixels.");
        }
    }
}

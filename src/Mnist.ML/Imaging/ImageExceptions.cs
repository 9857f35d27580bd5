// The two ways an image can be refused: it is broken, or it is something we do not decode.
namespace Mnist.ML.Imaging;

/// <summary>
/// The image bytes are corrupt or truncated (bad checksum, impossible header, data ending early).
/// Re-export or re-save the image and try again.
/// </summary>
public sealed class ImageFormatException : FormatException
{
    /// <summary>Creates the exception with a message that says what is wrong with the file.</summary>
    public ImageFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the low-level error that revealed it.</summary>
    public ImageFormatException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// The image is valid but cannot be used: an unknown format, a variant we do not decode
/// (for example CMYK JPEG or 12-bit JPEG), or it exceeds <see cref="ImageDecodeOptions"/> limits.
/// Convert it to PNG, JPEG (RGB or grayscale), BMP or GIF, or shrink it.
/// </summary>
public sealed class UnsupportedImageException : NotSupportedException
{
    /// <summary>Creates the exception with a message that says what is unsupported and what to do.</summary>
    public UnsupportedImageException(string message) : base(message) { }
}

// placeholder
namespace Mnist.ML.Imaging;

internal static class JpegDecoder
{
    public static Image Decode(ReadOnlySpan<byte> data, ImageDecodeOptions options) =>
        throw new UnsupportedImageException("JPEG is not supported yet.");
}

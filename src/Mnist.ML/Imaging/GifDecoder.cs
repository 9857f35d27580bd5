// placeholder
namespace Mnist.ML.Imaging;

internal static class GifDecoder
{
    public static Image Decode(ReadOnlySpan<byte> data, ImageDecodeOptions options) =>
        throw new UnsupportedImageException("GIF is not supported yet.");
}

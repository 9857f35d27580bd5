// BMP decoder against PIL: palette 1/4/8-bit, 16/24/32-bit, bitfields with alpha, top-down and bottom-up.
using Mnist.ML.Imaging;

namespace Mnist.ML.Tests.Imaging;

[TestClass]
public sealed class BmpDecoderTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void DecodesEveryBmpVariantExactlyLikePil()
    {
        TestImages.AssertDecodeLikePil(TestContext, 10, ".bmp");
    }

    [TestMethod]
    public void PixelDataShorterThanHeaderSaysIsTruncated()
    {
        byte[] bmp = File.ReadAllBytes(Path.Combine(TestImages.Directory, "pil-24.bmp"));
        var e = Assert.ThrowsExactly<ImageFormatException>(() => ImageDecoder.Decode(bmp.AsSpan(0, bmp.Length - 100)));
        StringAssert.Contains(e.Message, "truncated");
    }

    [TestMethod]
    public void RleCompressionIsUnsupportedWithAHint()
    {
        byte[] bmp = File.ReadAllBytes(Path.Combine(TestImages.Directory, "pil-8pal.bmp"));
        bmp[30] = 1; // BI_RLE8
        var e = Assert.ThrowsExactly<UnsupportedImageException>(() => ImageDecoder.Decode(bmp));
        StringAssert.Contains(e.Message, "RLE");
    }
}

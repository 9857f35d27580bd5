// JPEG decoder against libjpeg (via PIL): baseline, progressive, every subsampling, restart intervals, EXIF orientation.
using Mnist.ML.Imaging;

namespace Mnist.ML.Tests.Imaging;

[TestClass]
public sealed class JpegDecoderTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void DecodesLikeLibjpegWithinTolerance()
    {
        // Tolerance (TestImages.CompareAll): mean |diff| <= 1.5 and max <= 8 per channel against PIL's libjpeg decode.
        TestImages.AssertDecodeLikePil(TestContext, 25, ".jpg");
    }

    [TestMethod]
    public void TruncatedBaselineJpegIsReportedAsTruncated()
    {
        byte[] jpg = File.ReadAllBytes(Path.Combine(TestImages.Directory, "pil-420.jpg"));
        var e = Assert.ThrowsExactly<ImageFormatException>(() => ImageDecoder.Decode(jpg.AsSpan(0, jpg.Length / 2)));
        StringAssert.Contains(e.Message, "truncated");
    }

    [TestMethod]
    public void CmykJpegIsUnsupportedWithAHint()
    {
        byte[] jpg = File.ReadAllBytes(Path.Combine(TestImages.Directory, "pil-cmyk.jpg"));
        var e = Assert.ThrowsExactly<UnsupportedImageException>(() => ImageDecoder.Decode(jpg));
        StringAssert.Contains(e.Message, "CMYK");
    }
}

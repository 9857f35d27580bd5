// GIF decoder (first frame) against PIL: palettes, transparency, interlace; LZW corruption.
using Mnist.ML.Imaging;

namespace Mnist.ML.Tests.Imaging;

[TestClass]
public sealed class GifDecoderTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void DecodesFirstFrameExactlyLikePil()
    {
        TestImages.AssertDecodeLikePil(TestContext, 4, ".gif");
    }

    [TestMethod]
    public void UndefinedLzwCodeIsCorrupt()
    {
        // min code size 2: clear=4, end=5; code 7 right after clear is undefined. Codes are 3 bits, LSB first.
        byte[] data = [0b_111_100, 0];
        Assert.ThrowsExactly<ImageFormatException>(() => GifDecoder.Lzw(data, 2, new byte[4]));
    }

    [TestMethod]
    public void ShortImageDataIsTruncated()
    {
        byte[] gif = File.ReadAllBytes(Path.Combine(TestImages.Directory, "pil.gif"));
        var e = Assert.ThrowsExactly<ImageFormatException>(() => ImageDecoder.Decode(gif.AsSpan(0, gif.Length * 2 / 3)));
        StringAssert.Contains(e.Message, "truncated");
    }
}

// The PNG writer: what it writes reads back identically with our decoder and with PIL.
using Mnist.ML.Imaging;

namespace Mnist.ML.Tests.Imaging;

[TestClass]
public sealed class PngEncoderTests
{
    [TestMethod]
    public void Gray8RoundTripsThroughOurDecoderAndPil()
    {
        byte[] gray = Enumerable.Range(0, 28 * 28).Select(i => (byte)(i * 37 % 256)).ToArray();
        byte[] png = PngEncoder.EncodeGray8(gray, 28, 28);

        Image ours = ImageDecoder.Decode(png);
        Assert.AreEqual(28, ours.Width);
        for (int i = 0; i < gray.Length; i++)
        {
            Assert.AreEqual(gray[i], ours.Rgba[i * 4], $"pixel {i}");
        }

        string path = Path.Combine(TestImages.Directory, "encoder-roundtrip.png");
        File.WriteAllBytes(path, png);
        string raw = path + ".raw";
        TestImages.Run(Mnist.ML.Testing.TestPaths.SystemPython, "-c",
            "import sys; from PIL import Image; im = Image.open(sys.argv[1]); im.load(); assert im.mode == 'L', im.mode; open(sys.argv[2], 'wb').write(im.tobytes())",
            path, raw);
        CollectionAssert.AreEqual(gray, File.ReadAllBytes(raw));
    }

    [TestMethod]
    public void PreprocessedDigitSavesAs28x28Png()
    {
        float[] pixels = Enumerable.Range(0, 784).Select(i => i % 28 / 27f).ToArray();
        byte[] png = MnistPreprocessor.FromPixels(pixels).ToPng();
        Image image = ImageDecoder.Decode(png);
        Assert.AreEqual(28, image.Width);
        Assert.AreEqual(28, image.Height);
        Assert.AreEqual(255, image.Rgba[27 * 4], "ink 1.0 is white");
        Assert.AreEqual(0, image.Rgba[0]);
    }

    [TestMethod]
    public void SizeMismatchIsRejected()
    {
        Assert.ThrowsExactly<ArgumentException>(() => PngEncoder.EncodeGray8(new byte[10], 4, 3));
    }
}

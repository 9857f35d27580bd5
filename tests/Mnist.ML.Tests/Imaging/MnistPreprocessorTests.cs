// MnistPreprocessor: each step on its own, then the whole pipeline on MNIST digits (which must pass through unharmed).
using Mnist.ML.Imaging;
using Mnist.ML.Testing;

namespace Mnist.ML.Tests.Imaging;

[TestClass]
public sealed class MnistPreprocessorTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void TransparentPixelsBecomeWhitePaperAndLumaIsBt601()
    {
        var image = new Image(3, 1, [255, 0, 0, 0, /**/ 255, 0, 0, 255, /**/ 0, 0, 0, 128]);
        float[] luma = MnistPreprocessor.ToLuma(image);
        Assert.AreEqual(1f, luma[0], 1e-6f, "fully transparent red is paper");
        Assert.AreEqual(0.299f, luma[1], 1e-6f, "opaque red has BT.601 luma 0.299");
        Assert.AreEqual(127f / 255f, luma[2], 1e-6f, "half-transparent black over white is mid grey");
    }

    [TestMethod]
    public void WhiteOrBlackStrokesOnATransparentCanvasGiveTheSameDigit()
    {
        // A web canvas is transparent where nothing was drawn; the strokes may be black or white.
        byte[] d = ReadMnistTestImages(1)[0];
        PreprocessedDigit Strokes(byte colour)
        {
            var rgba = new byte[84 * 84 * 4];
            for (int i = 0; i < 84 * 84; i++)
            {
                rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = colour;
                rgba[i * 4 + 3] = d[i / 84 / 3 * 28 + i % 84 / 3];
            }
            return MnistPreprocessor.Preprocess(new Image(84, 84, rgba));
        }
        PreprocessedDigit white = Strokes(255), black = Strokes(0);
        Assert.IsTrue(white.HasInk, "white strokes must not vanish into white paper");
        for (int i = 0; i < 784; i++)
        {
            // Not bit-equal: one path inverts (1 - v), the other does not.
            Assert.AreEqual(black.Pixels[i], white.Pixels[i], 1e-5f, $"pixel {i}");
        }
    }

    [TestMethod]
    public void DarkInkOnLightPaperIsDetectedAndMnistIsNot()
    {
        float[] paper = Canvas(40, 30, background: 0.9f, ink: 0.1f);
        Assert.IsTrue(MnistPreprocessor.IsLightBackground(paper, 40, 30));
        float[] mnistLike = Canvas(40, 30, background: 0f, ink: 1f);
        Assert.IsFalse(MnistPreprocessor.IsLightBackground(mnistLike, 40, 30));
    }

    [TestMethod]
    public void ContrastNormalisationZeroesBackgroundAndStretchesInkToOne()
    {
        float[] img = Canvas(40, 30, background: 0.2f, ink: 0.6f);
        Assert.IsTrue(MnistPreprocessor.NormaliseContrast(img, 40, 30));
        Assert.AreEqual(0f, img[0], "background");
        Assert.AreEqual(1f, img.Max(), 1e-6f, "strongest ink");
    }

    [TestMethod]
    public void UnevenLightingIsRemovedWithAPlaneFittedToTheBorder()
    {
        // Paper brightening left to right (0.1 .. 0.4 after inversion) with faint ink (+0.2) in the middle.
        int w = 60, h = 40;
        var img = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                img[y * w + x] = 0.1f + 0.3f * x / (w - 1) + (x is >= 25 and < 35 && y is >= 10 and < 30 ? 0.2f : 0f);
            }
        }
        var (a, bx, by, sigma) = MnistPreprocessor.FitBackgroundPlane(img, w, h);
        Assert.AreEqual(0.1f, a, 1e-4f);
        Assert.AreEqual(0.3f / (w - 1), bx, 1e-5f);
        Assert.AreEqual(0f, by, 1e-5f);
        Assert.AreEqual(0f, sigma, 1e-5f);
        Assert.IsTrue(MnistPreprocessor.NormaliseContrast(img, w, h));
        Assert.AreEqual((25, 10, 10, 20), MnistPreprocessor.InkBounds(img, w, h), "only the ink survives, not the bright side of the page");
    }

    [TestMethod]
    public void BlankOrNearlyBlankImageHasNoInk()
    {
        float[] img = Canvas(40, 30, background: 0.5f, ink: 0.53f);
        Assert.IsFalse(MnistPreprocessor.NormaliseContrast(img, 40, 30));

        var white = new Image(50, 40, Enumerable.Repeat((byte)255, 50 * 40 * 4).ToArray());
        PreprocessedDigit digit = MnistPreprocessor.Preprocess(white);
        Assert.IsFalse(digit.HasInk);
        Assert.IsTrue(digit.Pixels.ToArray().All(v => v == 0f));
    }

    [TestMethod]
    public void InkBoundsIsTheTightRectangle()
    {
        float[] img = Canvas(40, 30, background: 0f, ink: 1f); // ink rectangle x 10..19, y 5..19
        Assert.AreEqual((10, 5, 10, 15), MnistPreprocessor.InkBounds(img, 40, 30));
    }

    [TestMethod]
    public void AreaResizeAveragesWholeAndPartialPixels()
    {
        // 4x1 -> 2x1 averages pairs; 3x1 -> 2x1 splits the middle pixel between both outputs.
        CollectionAssert.AreEqual(new[] { 0.5f, 0.25f }, MnistPreprocessor.ResizeArea([1f, 0f, 0.5f, 0f], 4, 0, 0, 4, 1, 2, 1));
        float[] r = MnistPreprocessor.ResizeArea([0f, 0.9f, 0.3f], 3, 0, 0, 3, 1, 2, 1);
        Assert.AreEqual((0f + 0.45f) / 1.5f, r[0], 1e-6f);
        Assert.AreEqual((0.45f + 0.3f) / 1.5f, r[1], 1e-6f);
        // A constant crop stays constant at any scale.
        float[] flat = Enumerable.Repeat(0.7f, 37 * 23).ToArray();
        Assert.IsTrue(MnistPreprocessor.ResizeArea(flat, 37, 3, 2, 30, 19, 20, 13).All(v => Math.Abs(v - 0.7f) < 1e-5f));
    }

    [TestMethod]
    public void CentreByMassPutsTheCentreOfMassOnPixel14()
    {
        var patch = new float[20 * 10];
        patch[3 * 20 + 17] = 1f; // all mass at x=17, y=3
        float[] output = MnistPreprocessor.CentreByMass(patch, 20, 10);
        Assert.AreEqual(1f, output[14 * 28 + 14]);
    }

    [TestMethod]
    [DataRow(1, 1)]
    [DataRow(1, 300)]
    [DataRow(300, 1)]
    [DataRow(2, 2)]
    [DataRow(3, 50)]
    [DataRow(1500, 7)]
    public void OddSizesAndRandomContentGiveAValid28x28(int w, int h)
    {
        var random = new Random(w * 1000 + h);
        for (int trial = 0; trial < 5; trial++)
        {
            var rgba = new byte[w * h * 4];
            random.NextBytes(rgba);
            if (trial == 0)
            {
                Array.Fill(rgba, (byte)255); // blank white
            }
            PreprocessedDigit digit = MnistPreprocessor.Preprocess(new Image(w, h, rgba));
            Assert.AreEqual(784, digit.Pixels.Length);
            foreach (float v in digit.Pixels)
            {
                Assert.IsTrue(v is >= 0f and <= 1f, $"{w}x{h} trial {trial}: pixel {v}");
            }
            if (trial == 0)
            {
                Assert.IsFalse(digit.HasInk, $"{w}x{h} blank white has no ink");
            }
        }
    }

    [TestMethod]
    public void RawMnistPixelsAreAcceptedUntouched()
    {
        float[] pixels = Enumerable.Range(0, 784).Select(i => (i % 17) / 16f).ToArray();
        PreprocessedDigit digit = MnistPreprocessor.FromPixels(pixels);
        CollectionAssert.AreEqual(pixels, digit.Pixels.ToArray());
        Assert.ThrowsExactly<ArgumentException>(() => MnistPreprocessor.FromPixels(new float[783]));
        Assert.ThrowsExactly<ArgumentException>(() => MnistPreprocessor.FromPixels(Enumerable.Repeat(255f, 784).ToArray()));
    }

    [TestMethod]
    public void PhotoSizedImageGivesTheSameDigitAsASmallOne()
    {
        // The same MNIST digit drawn dark on white at 84 px and at 3000x2400 (block-upscaled, centred).
        byte[] d = ReadMnistTestImages(1)[0];
        PreprocessedDigit small = MnistPreprocessor.Preprocess(DarkOnWhite(d, 3, 84, 84));
        PreprocessedDigit large = MnistPreprocessor.Preprocess(DarkOnWhite(d, 80, 3000, 2400));
        double diff = 0;
        for (int i = 0; i < 784; i++)
        {
            diff += Math.Abs(small.Pixels[i] - large.Pixels[i]);
        }
        Assert.IsLessThan(0.03, diff / 784, "mean |diff| between the two 28x28 results");
    }

    private static Image DarkOnWhite(byte[] digit, int scale, int w, int h)
    {
        var rgba = Enumerable.Repeat((byte)255, w * h * 4).ToArray();
        int x0 = (w - 28 * scale) / 2, y0 = (h - 28 * scale) / 2;
        for (int y = 0; y < 28 * scale; y++)
        {
            for (int x = 0; x < 28 * scale; x++)
            {
                byte v = (byte)(255 - digit[y / scale * 28 + x / scale]);
                int o = ((y0 + y) * w + x0 + x) * 4;
                rgba[o] = rgba[o + 1] = rgba[o + 2] = v;
            }
        }
        return new Image(w, h, rgba);
    }

    [TestMethod]
    public void MnistTestDigitsPassThroughAlmostUnchanged()
    {
        const int count = 2000;
        byte[][] digits = ReadMnistTestImages(count);
        double totalMeanAbs = 0, worstMeanAbs = 0;
        int centreMoved = 0;
        foreach (byte[] d in digits)
        {
            var rgba = new byte[784 * 4];
            for (int i = 0; i < 784; i++)
            {
                rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = d[i];
                rgba[i * 4 + 3] = 255;
            }
            PreprocessedDigit digit = MnistPreprocessor.Preprocess(new Image(28, 28, rgba));
            Assert.IsTrue(digit.HasInk);
            ReadOnlySpan<float> p = digit.Pixels;
            double sum = 0;
            for (int i = 0; i < 784; i++)
            {
                sum += Math.Abs(p[i] - d[i] / 255f);
            }
            totalMeanAbs += sum / 784;
            worstMeanAbs = Math.Max(worstMeanAbs, sum / 784);
            if (BoxCentre(p.ToArray()) != BoxCentre(d.Select(b => b / 255f).ToArray()))
            {
                centreMoved++;
            }
        }
        double mean = totalMeanAbs / count;
        TestContext.WriteLine($"MNIST through preprocessor: mean |diff| {mean:F4} (worst digit {worstMeanAbs:F4}), bounding-box centre moved in {centreMoved}/{count}");
        Assert.IsLessThan(0.01, mean, "MNIST digits must come out nearly identical");
        Assert.IsLessThan(0.06, worstMeanAbs);
        Assert.IsLessThan(count / 50, centreMoved, "bounding-box centre must stay put for almost every digit");
    }

    internal static byte[][] ReadMnistTestImages(int count)
    {
        byte[] all = File.ReadAllBytes(Path.Combine(TestPaths.MnistDir, "t10k-images-idx3-ubyte"));
        return Enumerable.Range(0, count).Select(i => all.AsSpan(16 + i * 784, 784).ToArray()).ToArray();
    }

    private static (double X, double Y) BoxCentre(float[] p)
    {
        var (x, y, w, h) = MnistPreprocessor.InkBounds(p, 28, 28);
        return (x + w / 2.0, y + h / 2.0);
    }

    /// <summary>A w x h canvas with an ink rectangle at x 10..19, y 5..19.</summary>
    private static float[] Canvas(int w, int h, float background, float ink)
    {
        var img = new float[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                img[y * w + x] = x is >= 10 and < 20 && y is >= 5 and < 20 ? ink : background;
            }
        }
        return img;
    }
}

// The affine augmentation: identity keeps the image, a shift moves ink, random draws stay in range.
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Tests.Training;

[TestClass]
public sealed class AugmentationTests
{
    private static float[] Dot(int x, int y)
    {
        var image = new float[784];
        image[y * 28 + x] = 1f;
        return image;
    }

    [TestMethod]
    public void IdentityTransformKeepsTheImage()
    {
        var image = Enumerable.Range(0, 784).Select(i => (i % 37) / 37f).ToArray();
        var output = new float[784];
        Augmentation.Transform(image, output, 0, 0, 0, 1);
        CollectionAssert.AreEqual(image, output);
    }

    [TestMethod]
    public void ShiftMovesInkByWholePixels()
    {
        var output = new float[784];
        Augmentation.Transform(Dot(10, 12), output, dx: 2, dy: -1, angle: 0, scale: 1);
        Assert.AreEqual(1f, output[11 * 28 + 12], 1e-6f);
        Assert.AreEqual(1f, output.Sum(), 1e-5f);
    }

    [TestMethod]
    public void RotationByNinetyDegreesTurnsAboutTheCentre()
    {
        var output = new float[784];
        // a dot right of centre goes below it when rotating clockwise on screen (y down)
        Augmentation.Transform(Dot(20, 13), output, 0, 0, Math.PI / 2, 1);
        int at = Array.IndexOf(output, output.Max());
        Assert.AreEqual((14, 20), (at % 28, at / 28));
    }

    [TestMethod]
    public void RandomDrawsKeepTheInkMassRoughly()
    {
        var rng = new Rng(5);
        var image = new float[784];
        for (int y = 10; y < 18; y++) for (int x = 10; x < 18; x++) image[y * 28 + x] = 1f;
        var output = new float[784];
        for (int i = 0; i < 50; i++)
        {
            Augmentation.Apply(image, output, rng);
            Assert.AreEqual(64f, output.Sum(), 64f * 0.25f, "scale 0.9..1.1 changes the area by at most ~21%");
            Assert.AreNotEqual(0f, output[13 * 28 + 13], "shifts of at most 2 px keep the centre inked");
        }
    }
}

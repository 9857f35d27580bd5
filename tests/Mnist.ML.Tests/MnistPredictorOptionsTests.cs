// MnistPredictorOptions: the documented defaults, and out-of-range values refused when set.
using Mnist.ML.Imaging;

namespace Mnist.ML.Tests;

[TestClass]
public sealed class MnistPredictorOptionsTests
{
    [TestMethod]
    public void Defaults_AreTheDocumentedOnes()
    {
        var o = new MnistPredictorOptions();
        Assert.AreEqual((0f, 256), (o.MinimumConfidence, o.MaxBatchSize));
        Assert.AreEqual(ImageDecodeOptions.Default, o.ImageLimits);
        Assert.AreEqual(o, MnistPredictorOptions.Default);
    }

    [TestMethod]
    [DataRow(-0.01f)]
    [DataRow(1.01f)]
    [DataRow(float.NaN)]
    public void MinimumConfidence_OutsideZeroToOne_IsRefused(float value) =>
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MnistPredictorOptions { MinimumConfidence = value });

    [TestMethod]
    [DataRow(0)]
    [DataRow(-1)]
    [DataRow(65_537)]
    public void MaxBatchSize_OutsideOneTo65536_IsRefused(int value) =>
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MnistPredictorOptions { MaxBatchSize = value });

    [TestMethod]
    public void ImageLimits_MustBeSetAndPositive()
    {
        Assert.ThrowsExactly<ArgumentNullException>(() => new MnistPredictorOptions { ImageLimits = null! });
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MnistPredictorOptions { ImageLimits = new ImageDecodeOptions { MaxBytes = 0 } });
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MnistPredictorOptions { ImageLimits = new ImageDecodeOptions { MaxPixels = -5 } });
    }

    [TestMethod]
    public void ValidValues_AtTheEdges_AreKept()
    {
        var o = MnistPredictorOptions.Default with { MinimumConfidence = 1f, MaxBatchSize = 65_536 };
        Assert.AreEqual((1f, 65_536), (o.MinimumConfidence, o.MaxBatchSize));
        Assert.AreEqual(1, (o with { MaxBatchSize = 1 }).MaxBatchSize);
    }
}

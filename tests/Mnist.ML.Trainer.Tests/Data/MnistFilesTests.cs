// The four MNIST files: fetched with the original sizes and hashes, found under every spelling.
using Mnist.ML.Testing;
using Mnist.ML.Trainer.Data;

namespace Mnist.ML.Trainer.Tests.Data;

[TestClass]
public sealed class MnistFilesTests
{
    [TestMethod]
    [DataRow("train-images-idx3-ubyte", 16 + 60000 * 784)]
    [DataRow("train-labels-idx1-ubyte", 8 + 60000)]
    [DataRow("t10k-images-idx3-ubyte", 16 + 10000 * 784)]
    [DataRow("t10k-labels-idx1-ubyte", 8 + 10000)]
    public void FetchedFileHasOriginalSize(string name, int expectedBytes)
    {
        var info = new FileInfo(Path.Combine(TestPaths.MnistDir, name));
        Assert.AreEqual(expectedBytes, info.Length, name);
    }

    [TestMethod]
    public async Task Sha256OfGzIsThatOfItsContent()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("labels.gz"), LoopbackMirror.RealGz(MnistFiles.TestLabels));

        Assert.AreEqual(MnistFiles.Sha256[MnistFiles.TestLabels], await MnistFiles.ComputeSha256Async(dir.File("labels.gz")));
        Assert.AreEqual(MnistFiles.Sha256[MnistFiles.TestLabels], await MnistFiles.ComputeSha256Async(Path.Combine(TestPaths.MnistDir, MnistFiles.TestLabels)));
    }

    [TestMethod]
    public void LocatePrefersRawThenGz()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File(MnistFiles.TrainLabels + ".gz"), []);
        Assert.AreEqual(dir.File(MnistFiles.TrainLabels + ".gz"), MnistFiles.Locate(dir.Path, MnistFiles.TrainLabels));

        File.WriteAllBytes(dir.File(MnistFiles.TrainLabels), []);
        Assert.AreEqual(dir.File(MnistFiles.TrainLabels), MnistFiles.Locate(dir.Path, MnistFiles.TrainLabels));
    }
}

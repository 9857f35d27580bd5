// Checks that scripts/fetch-mnist.sh put the four original IDX files where tests look for them.
using Mnist.ML.Testing;

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
}

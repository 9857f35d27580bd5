// Loading the real MNIST files, and folders whose files are gzipped, missing or disagree.
using Mnist.ML.Testing;
using Mnist.ML.Trainer.Data;

namespace Mnist.ML.Trainer.Tests.Data;

[TestClass]
public sealed class MnistDatasetTests
{
    // Published per-class counts of the MNIST training and test sets, digits 0..9.
    private static readonly int[] TrainHistogram = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
    private static readonly int[] TestHistogram = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];

    [TestMethod]
    public void LoadsRealTrainingSet()
    {
        DigitDataset train = MnistDataset.LoadTrain(TestPaths.MnistDir);

        Assert.AreEqual(60000, train.Count);
        Assert.AreEqual(5, train.Labels[0]);
        CollectionAssert.AreEqual(new byte[] { 5, 0, 4, 1, 9, 2, 1, 3, 1, 4 }, train.Labels[..10].ToArray());
        CollectionAssert.AreEqual(TrainHistogram, Histogram(train));
        AssertPixelsInUnitRangeWithInk(train);
    }

    [TestMethod]
    public void LoadsRealTestSet()
    {
        DigitDataset test = MnistDataset.LoadTest(TestPaths.MnistDir);

        Assert.AreEqual(10000, test.Count);
        CollectionAssert.AreEqual(new byte[] { 7, 2, 1, 0, 4, 1, 4, 9, 5, 9 }, test.Labels[..10].ToArray());
        CollectionAssert.AreEqual(TestHistogram, Histogram(test));
        AssertPixelsInUnitRangeWithInk(test);
    }

    [TestMethod]
    public void LoadsGzippedFolderSameAsRaw()
    {
        using var dir = new TempDir();
        foreach (string name in new[] { MnistFiles.TestImages, MnistFiles.TestLabels })
        {
            File.WriteAllBytes(dir.File(name + ".gz"), LoopbackMirror.Gzip(File.ReadAllBytes(Path.Combine(TestPaths.MnistDir, name))));
        }

        DigitDataset fromGz = MnistDataset.LoadTest(dir.Path);
        DigitDataset raw = MnistDataset.LoadTest(TestPaths.MnistDir);

        CollectionAssert.AreEqual(raw.Labels.ToArray(), fromGz.Labels.ToArray());
        Assert.IsTrue(raw.Images.SequenceEqual(fromGz.Images));
    }

    [TestMethod]
    public void PixelBytesMapToZeroToOne()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File(MnistFiles.TrainImages), IdxFiles.Images(2));
        File.WriteAllBytes(dir.File(MnistFiles.TrainLabels), IdxFiles.Labels([3, 8]));

        DigitDataset set = MnistDataset.LoadTrain(dir.Path);

        // Image 1, pixel 36: byte (7 + 36) % 256 = 43.
        Assert.AreEqual(43 / 255f, set.Image(1)[36]);
        Assert.AreEqual(1f, set.Image(0)[255]);
        Assert.AreEqual(0f, set.Image(0)[0]);
    }

    [TestMethod]
    public void CountMismatchNamesBothFiles()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File(MnistFiles.TrainImages), IdxFiles.Images(3));
        File.WriteAllBytes(dir.File(MnistFiles.TrainLabels), IdxFiles.Labels([1, 2]));

        var e = Assert.Throws<DatasetFormatException>(() => MnistDataset.LoadTrain(dir.Path));

        StringAssert.Contains(e.Message, MnistFiles.TrainImages);
        StringAssert.Contains(e.Message, MnistFiles.TrainLabels);
        StringAssert.Contains(e.Message, "3 images but");
        StringAssert.Contains(e.Message, "2 labels");
    }

    [TestMethod]
    public void MissingFolderPointsToFetch()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => MnistDataset.LoadTrain("/nonexistent/mnist"));

        StringAssert.Contains(e.Message, "scripts/fetch-mnist.sh");
    }

    [TestMethod]
    public void MissingFileNamesIt()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File(MnistFiles.TestImages), IdxFiles.Images(1));

        var e = Assert.Throws<FileNotFoundException>(() => MnistDataset.LoadTest(dir.Path));

        StringAssert.Contains(e.Message, MnistFiles.TestLabels);
    }

    [TestMethod]
    public void FindsDottedSpelling()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("t10k-images.idx3-ubyte"), IdxFiles.Images(1));
        File.WriteAllBytes(dir.File("t10k-labels.idx1-ubyte"), IdxFiles.Labels([6]));

        Assert.AreEqual(6, MnistDataset.LoadTest(dir.Path).Labels[0]);
    }

    private static int[] Histogram(DigitDataset set)
    {
        var counts = new int[10];
        foreach (byte label in set.Labels)
        {
            counts[label]++;
        }
        return counts;
    }

    private static void AssertPixelsInUnitRangeWithInk(DigitDataset set)
    {
        float min = float.MaxValue, max = float.MinValue;
        foreach (float p in set.Images)
        {
            min = Math.Min(min, p);
            max = Math.Max(max, p);
        }
        Assert.AreEqual(0f, min);
        Assert.AreEqual(1f, max);
        // Background dominates: MNIST digits are bright ink on a black background.
        Assert.IsLessThan(0.5f, set.Image(0).ToArray().Average());
    }
}

// 'data info' facts: canonical hashes, counts and class balance of a folder, and broken folders.
using Mnist.ML.Testing;
using Mnist.ML.Trainer.Data;

namespace Mnist.ML.Trainer.Tests.Data;

[TestClass]
public sealed class MnistFolderInfoTests
{
    [TestMethod]
    public async Task RealFolderMatchesCanonicalWithKnownBalance()
    {
        MnistFolderInfo info = await MnistFolderInfo.InspectAsync(TestPaths.MnistDir);

        Assert.IsTrue(info.AllMatchCanonical);
        Assert.AreEqual(60000, info.Train.Count);
        Assert.AreEqual(10000, info.Test.Count);
        CollectionAssert.AreEqual(new[] { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 }, info.Test.ClassCounts.ToArray());
        Assert.AreEqual(5923, info.Train.ClassCounts[0]);
    }

    [TestMethod]
    public async Task ModifiedFileIsReportedAsNotCanonical()
    {
        using var dir = new TempDir();
        foreach (string name in MnistFiles.All)
        {
            File.Copy(Path.Combine(TestPaths.MnistDir, name), dir.File(name));
        }
        byte[] labels = File.ReadAllBytes(dir.File(MnistFiles.TestLabels));
        labels[8] = (byte)((labels[8] + 1) % 10);
        File.WriteAllBytes(dir.File(MnistFiles.TestLabels), labels);

        MnistFolderInfo info = await MnistFolderInfo.InspectAsync(dir.Path);

        Assert.IsFalse(info.AllMatchCanonical);
        CollectionAssert.AreEqual(new[] { true, true, true, false }, info.Files.Select(f => f.MatchesCanonical).ToArray());
    }

    [TestMethod]
    public async Task MissingFolderIsDirectoryNotFound()
    {
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => MnistFolderInfo.InspectAsync("/nonexistent/mnist"));
    }
}

// The checkpoint format: round trip, and clear errors for files that are not checkpoints.
using Mnist.ML.Testing;
using Mnist.ML.Trainer.Optim;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Tests.Training;

[TestClass]
public sealed class CheckpointTests
{
    private static CheckpointState Sample() => new()
    {
        Spec = "flatten-fc10", EpochsCompleted = 3, Optimizer = OptimizerKind.AdamW, OptimizerSteps = 42, RngState = [1, 2, 3, ulong.MaxValue],
        Parameters = [1f, -2f, 3.5f], Buffers = [], OptimizerState = [[0.1f, 0.2f, 0.3f], [4f, 5f, 6f]],
        BestValidationLoss = 0.25, BestEpoch = 2, EpochsWithoutImprovement = 1, BestParameters = [9f, 8f, 7f], BestBuffers = [],
    };

    [TestMethod]
    public void SaveThenLoadGivesEveryField()
    {
        using var dir = new TempDir();
        string path = dir.File("a.ckpt");
        Checkpoint.Save(path, Sample());
        var s = Checkpoint.Load(path);
        Assert.AreEqual(("flatten-fc10", 3, OptimizerKind.AdamW, 42L, 0.25, 2, 1), (s.Spec, s.EpochsCompleted, s.Optimizer, s.OptimizerSteps, s.BestValidationLoss, s.BestEpoch, s.EpochsWithoutImprovement));
        CollectionAssert.AreEqual(new ulong[] { 1, 2, 3, ulong.MaxValue }, s.RngState);
        CollectionAssert.AreEqual(new[] { 1f, -2f, 3.5f }, s.Parameters);
        CollectionAssert.AreEqual(new[] { 4f, 5f, 6f }, s.OptimizerState[1]);
        CollectionAssert.AreEqual(new[] { 9f, 8f, 7f }, s.BestParameters);
        Assert.IsFalse(File.Exists(path + ".tmp"), "the temporary file is renamed away");
    }

    [TestMethod]
    public void NotACheckpointSaysSo()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("x.ckpt"), "hello world, not a checkpoint");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Checkpoint.Load(dir.File("x.ckpt")));
        StringAssert.Contains(e.Message, "not a Mnist.ML checkpoint");
    }

    [TestMethod]
    public void TruncatedCheckpointSaysSo()
    {
        using var dir = new TempDir();
        string path = dir.File("t.ckpt");
        Checkpoint.Save(path, Sample());
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 5)]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Checkpoint.Load(path));
        StringAssert.Contains(e.Message, "ends early");
    }

    [TestMethod]
    public void ResumingWithAnotherArchitectureIsRefused()
    {
        using var dir = new TempDir();
        string path = dir.File("r.ckpt");
        Checkpoint.Save(path, Sample());
        var data = new Mnist.ML.Trainer.Data.DigitDataset(new float[20 * 784], new byte[20]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new MnistTrainer(new MnistTrainerOptions { ResumeFrom = path, Architecture = "lenet5" }).Train(data));
        StringAssert.Contains(e.Message, "flatten-fc10");
    }
}

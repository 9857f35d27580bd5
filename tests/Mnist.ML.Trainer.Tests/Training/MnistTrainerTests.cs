// The trainer end to end on real MNIST: learns, is deterministic, resumes exactly from a checkpoint,
// stops early with the best weights, reports progress and honours cancellation.
using Mnist.ML.Testing;
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Optim;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Tests.Training;

[TestClass]
public sealed class MnistTrainerTests
{
    private static readonly Lazy<DigitDataset> Train = new(() => MnistDataset.LoadTrain(TestPaths.MnistDir));
    private static readonly Lazy<DigitDataset> Test = new(() => MnistDataset.LoadTest(TestPaths.MnistDir));

    [TestMethod]
    public void OneEpochOnFiveThousandImagesBeatsChanceByFar()
    {
        var reports = new List<TrainingProgress>();
        var trainer = new MnistTrainer(new MnistTrainerOptions { Epochs = 1, BatchSize = 32, ValidationFraction = 0.1, Seed = 1 });
        var result = trainer.Train(Train.Value.Take(5000), new SyncProgress(reports));
        var test = MnistTrainer.Evaluate(result.Network, Test.Value.Take(1000));
        Console.WriteLine(reports[^1]);
        Console.WriteLine(test);

        Assert.IsGreaterThan(0.85, test.Accuracy, "held-out accuracy after one epoch");
        Assert.AreEqual(1000, test.Count);
        int batches = (int)Math.Ceiling(4500 / 32.0);
        Assert.AreEqual(batches + 1, reports.Count, "one report per batch plus one per epoch");
        Assert.AreEqual(TrainingProgressKind.Epoch, reports[^1].Kind);
        Assert.IsNotNull(reports[^1].ValidationAccuracy);
        Assert.IsLessThan(reports[0].Loss, reports[^2].Loss, "the running training loss falls");
        Assert.IsGreaterThan(0, reports[^1].ImagesPerSecond);
    }

    [TestMethod]
    public void ResumingFromACheckpointContinuesExactly()
    {
        using var dir = new TempDir();
        var data = Train.Value.Take(600);
        var options = new MnistTrainerOptions { Architecture = "conv4k3p1-bn-relu-pool2-flatten-drop0.3-fc10", Epochs = 3, BatchSize = 64, Augment = true, EarlyStoppingPatience = 5, Seed = 3 };
        var straight = new MnistTrainer(options).Train(data);

        string path = Path.Combine(dir.Path, "run.ckpt");
        new MnistTrainer(options with { Epochs = 1, CheckpointPath = path }).Train(data);
        var resumed = new MnistTrainer(options with { ResumeFrom = path }).Train(data);

        CollectionAssert.AreEqual(straight.Network.Parameters, resumed.Network.Parameters, "weights after resume");
        CollectionAssert.AreEqual(straight.Network.Buffers, resumed.Network.Buffers, "BatchNorm running statistics after resume");
        Assert.AreEqual(2, resumed.Epochs.Count, "the resumed run trains epochs 2 and 3");
        Assert.AreEqual(straight.Epochs[^1], resumed.Epochs[^1] with { ImagesPerSecond = straight.Epochs[^1].ImagesPerSecond });
    }

    [TestMethod]
    public void SameSeedSameWeightsOtherSeedOtherWeights()
    {
        var data = Train.Value.Take(300);
        var options = new MnistTrainerOptions { Architecture = "conv4k3-relu-pool2-flatten-fc10", Epochs = 1, BatchSize = 50 };
        var a = new MnistTrainer(options).Train(data).Network.Parameters;
        var b = new MnistTrainer(options).Train(data).Network.Parameters;
        var c = new MnistTrainer(options with { Seed = 7 }).Train(data).Network.Parameters;
        CollectionAssert.AreEqual(a, b);
        CollectionAssert.AreNotEqual(a, c);
    }

    [TestMethod]
    public void EarlyStoppingRestoresTheBestEpochsWeights()
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "es.ckpt");
        // a learning rate this high makes the validation loss worsen after the first epochs
        var options = new MnistTrainerOptions
        {
            Architecture = "flatten-fc10", Epochs = 30, BatchSize = 20, Optimizer = OptimizerKind.Sgd, LearningRate = 2.0, Momentum = 0.9,
            EarlyStoppingPatience = 2, CheckpointPath = path,
        };
        var result = new MnistTrainer(options).Train(Train.Value.Take(500));
        Console.WriteLine(string.Join(Environment.NewLine, result.Epochs));

        Assert.IsTrue(result.StoppedEarly);
        Assert.AreEqual(result.BestEpoch + 2, result.Epochs.Count, "stops patience epochs after the best");
        double bestLoss = result.Epochs.Min(e => e.ValidationLoss!.Value);
        Assert.AreEqual(bestLoss, result.Epochs[result.BestEpoch - 1].ValidationLoss!.Value);
        Assert.AreEqual(bestLoss, result.Validation!.Loss, 1e-9, "the returned network is the best epoch's");
        Assert.AreEqual(result.Validation.Loss, MnistTrainer.Evaluate(MnistTrainer.LoadNetwork(path), DatasetSplit.Split(Train.Value.Take(500), 0.2, 42).Validation).Loss, 1e-9,
            "LoadNetwork returns the best weights from the checkpoint");
    }

    [TestMethod]
    public void PredictedProbabilitiesAgreeWithEvaluation()
    {
        var net = new MnistTrainer(new MnistTrainerOptions { Architecture = "flatten-fc10", Epochs = 5, BatchSize = 32, LearningRate = 0.01, ValidationFraction = 0 }).Train(Train.Value.Take(500)).Network;
        var test = Test.Value.Take(300);
        var p = net.PredictProbabilities(test.Images, test.Count);
        int correct = 0;
        for (int i = 0; i < test.Count; i++)
        {
            var row = p.AsSpan(i * 10, 10);
            Assert.AreEqual(1f, row.ToArray().Sum(), 1e-5f);
            if (row.IndexOf(row.ToArray().Max()) == test.Labels[i]) correct++;
        }
        Assert.AreEqual(MnistTrainer.Evaluate(net, test).Accuracy, correct / 300.0, 1e-12);
        Console.WriteLine($"accuracy {correct / 300.0:P1}");
        Assert.IsGreaterThan(0.6, correct / 300.0, "a linear model on 500 images already beats chance by far");
    }

    [TestMethod]
    public void CancellationStopsTraining()
    {
        using var cts = new CancellationTokenSource();
        var trainer = new MnistTrainer(new MnistTrainerOptions { Epochs = 5, BatchSize = 10 });
        var progress = new SyncProgress([], p => { if (p.Batch == 3) cts.Cancel(); });
        Assert.ThrowsExactly<OperationCanceledException>(() => trainer.Train(Train.Value.Take(500), progress, cts.Token));
    }

    [TestMethod]
    public void BadOptionsFailWithTheirName()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MnistTrainer(new MnistTrainerOptions { BatchSize = 0 }));
        Assert.AreEqual("BatchSize", e.ParamName);
        var es = Assert.ThrowsExactly<ArgumentException>(() => new MnistTrainer(new MnistTrainerOptions { ValidationFraction = 0, EarlyStoppingPatience = 2 }));
        StringAssert.Contains(es.Message, "ValidationFraction");
        Assert.ThrowsExactly<Mnist.ML.Trainer.Layers.NetworkSpecException>(() => new MnistTrainer(new MnistTrainerOptions { Architecture = "flatten-fc7" }).Train(Train.Value.Take(10)));
    }

    /// <summary>Reports synchronously on the training thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(List<TrainingProgress> reports, Action<TrainingProgress>? onReport = null) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            reports.Add(value);
            onReport?.Invoke(value);
        }
    }
}

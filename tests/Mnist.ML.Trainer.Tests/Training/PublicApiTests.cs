// Pins the engine's public surface (Layers, Optim, Training): anything else stays internal.
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Tests.Training;

[TestClass]
public sealed class PublicApiTests
{
    [TestMethod]
    public void EnginePublicTypesAreExactlyThese()
    {
        string[] engineNamespaces = ["Mnist.ML.Trainer.Layers", "Mnist.ML.Trainer.Optim", "Mnist.ML.Trainer.Training"];
        var actual = typeof(MnistTrainer).Assembly.GetExportedTypes()
            .Where(t => engineNamespaces.Contains(t.Namespace))
            .Select(t => t.FullName!).Order(StringComparer.Ordinal).ToArray();
        string[] expected =
        [
            "Mnist.ML.Trainer.Layers.Network",
            "Mnist.ML.Trainer.Layers.NetworkBuilder",
            "Mnist.ML.Trainer.Layers.NetworkSpec",
            "Mnist.ML.Trainer.Layers.NetworkSpecException",
            "Mnist.ML.Trainer.Layers.WeightInit",
            "Mnist.ML.Trainer.Optim.LearningRateSchedule",
            "Mnist.ML.Trainer.Optim.OptimizerKind",
            "Mnist.ML.Trainer.Training.EvaluationResult",
            "Mnist.ML.Trainer.Training.MnistTrainer",
            "Mnist.ML.Trainer.Training.MnistTrainerOptions",
            "Mnist.ML.Trainer.Training.TrainingProgress",
            "Mnist.ML.Trainer.Training.TrainingProgressKind",
            "Mnist.ML.Trainer.Training.TrainingResult",
        ];
        CollectionAssert.AreEqual(expected, actual, "actual: " + string.Join(", ", actual));
    }

    [TestMethod]
    public void OptionsDefaultsAreTheDocumentedOnes()
    {
        var o = new MnistTrainerOptions();
        Assert.AreEqual(("lenet5", 10, 128, 0.2, Mnist.ML.Trainer.Optim.OptimizerKind.Adam, 1e-3, 42, false),
            (o.Architecture, o.Epochs, o.BatchSize, o.ValidationFraction, o.Optimizer, o.LearningRate, o.Seed, o.Augment));
        Assert.IsNull(o.WeightDecay);
        Assert.IsNull(o.EarlyStoppingPatience);
        Assert.AreEqual(0.0, o.LabelSmoothing);
        Assert.AreSame(Mnist.ML.Trainer.Optim.LearningRateSchedule.Constant, o.Schedule);
    }
}

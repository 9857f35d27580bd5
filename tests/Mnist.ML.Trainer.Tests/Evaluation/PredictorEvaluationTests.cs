// Evaluating an exported model through MnistPredictor scores exactly what MnistTrainer.Evaluate
// scores for the network it was exported from, and lists each mistake with what the model said.
using Mnist.ML.Testing;
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Evaluation;
using Mnist.ML.Trainer.Export;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Tests.Evaluation;

[TestClass]
public sealed class PredictorEvaluationTests
{
    [TestMethod]
    public void MatchesTheTrainersEvaluationOfTheSameNetwork()
    {
        DigitDataset data = MnistDataset.LoadTrain(TestPaths.MnistDir);
        // Briefly trained on 1,000 images, evaluated on 700 others: many mistakes, all classes seen.
        var network = new MnistTrainer(new MnistTrainerOptions { Epochs = 1, BatchSize = 50, ValidationFraction = 0, Seed = 3 }).Train(data.Take(1000)).Network;
        DigitDataset held = data.Select(Enumerable.Range(1000, 700).ToArray());
        MnistPredictor predictor = MnistPredictor.Load(new MemoryStream(OnnxExporter.ToBytes(network)));

        EvaluationResult expected = MnistTrainer.Evaluate(network, held);
        PredictorEvaluation actual = PredictorEvaluation.Run(predictor, held, batchSize: 64);

        CollectionAssert.AreEqual(expected.ConfusionMatrix, actual.Result.ConfusionMatrix, $"trainer:\n{expected}\npredictor:\n{actual.Result}");
        Assert.AreEqual(expected.Loss, actual.Result.Loss, 1e-4);
        Assert.AreEqual(held.Count - (int)Math.Round(expected.Accuracy * held.Count), actual.Mistakes.Count);
        Assert.IsNotEmpty(actual.Mistakes);
        foreach (Mistake m in actual.Mistakes)
        {
            Assert.AreEqual(held.Labels[m.Index], m.Label);
            Assert.AreNotEqual(m.Label, m.Prediction.Digit);
            CollectionAssert.AreEqual(held.Image(m.Index).ToArray(), m.Prediction.ModelInput.Pixels.ToArray(), "the raw pixels went to the model");
        }
    }
}

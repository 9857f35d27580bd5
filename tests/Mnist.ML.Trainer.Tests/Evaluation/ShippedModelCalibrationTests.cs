// The shipped model's probabilities are the calibrated ones its card describes: the temperature is in the
// card, and the ECE of MnistPredictor's probabilities on the 10,000 test images is the card's figure.
using System.Globalization;
using Mnist.ML.Testing;
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Evaluation;
using Mnist.ML.Trainer.Export;

namespace Mnist.ML.Trainer.Tests.Evaluation;

[TestClass]
public sealed class ShippedModelCalibrationTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void ShippedModel_TestSetEce_IsTheCalibratedEceOnItsCard()
    {
        MnistPredictor predictor = MnistPredictor.Load();
        IReadOnlyDictionary<string, string> card = predictor.Model.Metadata;
        string Card(string key) => card.GetValueOrDefault(key) ?? throw new AssertFailedException($"The shipped model card has no {key}: make the model with scripts/train-release-model.sh.");
        double temperature = double.Parse(Card(ModelCard.Keys.LogitsTemperature), CultureInfo.InvariantCulture);
        double cardEce = double.Parse(Card("ece_test_calibrated"), CultureInfo.InvariantCulture);

        var test = MnistDataset.LoadTest(TestPaths.MnistDir);
        IReadOnlyList<Prediction> predictions = predictor.PredictBatch(test.Images, test.Count);
        // log(p) are logits whose softmax is p, so the ECE of the probabilities the user sees
        var logProbabilities = predictions.SelectMany(p => p.Probabilities.Select(q => MathF.Log(Math.Max(q, 1e-30f)))).ToArray();
        double ece = Calibration.ExpectedCalibrationError(logProbabilities, test.Labels);
        TestContext.WriteLine($"T {temperature}; ECE of MnistPredictor's probabilities on the test set {ece:F4}, card {cardEce:F4} (raw logits: {Card("ece_test_raw")})");
        Assert.IsGreaterThan(0.0, temperature);
        // The card was computed from the trainer's forward pass; the executor agrees to float rounding.
        Assert.AreEqual(cardEce, ece, 5e-4);
    }
}

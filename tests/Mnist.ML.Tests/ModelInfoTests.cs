// ModelInfo: the shipped model's card (ONNX metadata_props) matches models/mnist-cnn.json and this
// library's preprocessing; cards of other producers read as nulls, not errors.
using System.Text.Json;
using Mnist.ML.Imaging;
using Mnist.ML.Testing;

namespace Mnist.ML.Tests;

[TestClass]
public sealed class ModelInfoTests
{
    [TestMethod]
    public void ShippedModel_CarriesAFullModelCard_EqualToModelsJson()
    {
        ModelInfo info = PredictorFixtures.Shipped.Model;
        Assert.AreEqual("embedded", info.Source);
        Assert.AreEqual("Mnist.ML", info.ProducerName);
        Assert.AreEqual(MnistPreprocessor.PreprocessingVersion, info.PreprocessingVersion);
        Assert.IsNotNull(info.Name);
        Assert.IsNotNull(info.Architecture);
        Assert.IsNotNull(info.TestAccuracy);
        Assert.IsNotNull(info.TrainedAt);
        Assert.IsNotNull(info.TrainingTime);
        Assert.IsNotNull(info.Epochs);
        Assert.AreEqual(64, info.TrainingDataSha256?.Length, "SHA-256 in hex");

        using var json = JsonDocument.Parse(File.ReadAllText(TestPaths.Combine("models", "mnist-cnn.json")));
        foreach (var (key, value) in info.Metadata)
        {
            Assert.IsTrue(json.RootElement.TryGetProperty(key, out var property), $"models/mnist-cnn.json lacks '{key}'");
            Assert.AreEqual(value, property.ToString(), $"'{key}' differs between the .onnx card and models/mnist-cnn.json");
        }
    }

    [TestMethod]
    public void ShippedModelCard_IsAlsoEmbeddedAsJson()
    {
        using Stream? card = typeof(MnistPredictor).Assembly.GetManifestResourceStream(MnistPredictor.EmbeddedCardResource);
        Assert.IsNotNull(card, "models/mnist-cnn.json is not embedded in Mnist.ML.dll");
        using var json = JsonDocument.Parse(card);
        Assert.AreEqual(PredictorFixtures.Shipped.Model.Architecture, json.RootElement.GetProperty("architecture").GetString());
        Assert.AreEqual(PredictorFixtures.Shipped.Model.TestAccuracy?.ToString("R", System.Globalization.CultureInfo.InvariantCulture), json.RootElement.GetProperty("test_accuracy").GetString());
    }

    [TestMethod]
    public void ModelCard_IsReadFromMetadataProps()
    {
        ModelInfo info = MnistPredictor.Load(PredictorFixtures.Model("with_card")).Model;
        Assert.AreEqual(("tiny", "flatten-fc32-relu-fc10", 0.9876, "mnist-preprocess/1"), (info.Name, info.Architecture, info.TestAccuracy, info.PreprocessingVersion));
        Assert.AreEqual(new DateTimeOffset(2026, 11, 21, 10, 30, 0, TimeSpan.Zero), info.TrainedAt);
        Assert.AreEqual((3, TimeSpan.FromSeconds(754), "Adam", "fixture"), (info.Epochs, info.TrainingTime, info.TrainingOptions, info.Description));
        Assert.AreEqual(string.Concat(Enumerable.Repeat("ab", 32)), info.TrainingDataSha256);
        Assert.AreEqual("kept", info.Metadata["custom"]);
        Assert.AreEqual("tiny (test accuracy 98.76 %, pytorch, opset 13)", info.ToString());
    }

    [TestMethod]
    public void ModelWithoutACard_HasNullCardFields_AndItsOnnxFacts()
    {
        ModelInfo info = MnistPredictor.Load(PredictorFixtures.Model("probabilities_only")).Model;
        Assert.IsNull(info.Name);
        Assert.IsNull(info.Architecture);
        Assert.IsNull(info.TestAccuracy);
        Assert.IsNull(info.TrainedAt);
        Assert.IsNull(info.PreprocessingVersion);
        Assert.AreEqual(("pytorch", 13, "input"), (info.ProducerName, info.OpsetVersion, info.InputName));
        Assert.AreEqual("model (pytorch, opset 13)", info.ToString());
    }
}

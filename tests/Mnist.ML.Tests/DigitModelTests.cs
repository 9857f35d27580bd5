// Which ONNX models the predictor accepts, which output it reads, and that its probabilities match
// ONNX Runtime's on the same models (the independent reference).
using Mnist.ML.Onnx;
using Mnist.ML.Tests.Onnx;

namespace Mnist.ML.Tests;

[TestClass]
public sealed class DigitModelTests
{
    [TestMethod]
    public void ModelWithLogitsAndProbabilities_IsReadThroughItsLogits_AndMatchesOnnxRuntime()
    {
        string model = PredictorFixtures.Model("logits_and_probabilities");
        MnistPredictor predictor = MnistPredictor.Load(model);
        Assert.AreEqual("logits", predictor.Model.OutputName, "The Softmax output comes first in the file; logits must still win.");
        AssertMatchesOnnxRuntimeProbabilities(predictor, model);
    }

    [TestMethod]
    public void ModelWithOnlyASoftmaxOutput_IsUsedAsIs_NotSoftmaxedTwice()
    {
        string model = PredictorFixtures.Model("probabilities_only");
        MnistPredictor predictor = MnistPredictor.Load(model);
        Assert.AreEqual("probabilities", predictor.Model.OutputName);
        AssertMatchesOnnxRuntimeProbabilities(predictor, model);
    }

    [TestMethod]
    public void PyTorchCnn3_MatchesOnnxRuntime()
    {
        string model = Path.Combine(ReferenceTools.TorchModels, "cnn3.onnx");
        MnistPredictor predictor = MnistPredictor.Load(model);
        Assert.AreEqual("pytorch", predictor.Model.ProducerName);
        Assert.IsNull(predictor.Model.Architecture, "A PyTorch export carries no model card.");
        AssertMatchesOnnxRuntimeProbabilities(predictor, model);
    }

    [TestMethod]
    public void FixedBatchModel_StillPredictsBatches()
    {
        MnistPredictor predictor = MnistPredictor.Load(PredictorFixtures.Model("fixed_batch"));
        float[] images = ReferenceTools.MnistTestImages(5);
        IReadOnlyList<Prediction> batch = predictor.PredictBatch(images, 5);
        for (int i = 0; i < 5; i++)
        {
            MnistPredictorTests.AssertClose(predictor.Predict(images.AsSpan(i * 784, 784)).Probabilities, batch[i].Probabilities, 1e-6f, $"image {i}");
        }
    }

    [TestMethod]
    [DataRow("wrong_input", "[N,1,28,28]")]
    [DataRow("wrong_output", "[N,10]")]
    public void ModelThatIsNotA28x28DigitClassifier_IsRefusedAtLoad(string name, string expectedInMessage)
    {
        var e = Assert.ThrowsExactly<OnnxModelException>(() => MnistPredictor.Load(PredictorFixtures.Model(name)));
        StringAssert.Contains(e.Message, expectedInMessage);
    }

    [TestMethod]
    public void Softmax_SubtractsTheMax_SoHugeLogitsDoNotOverflow()
    {
        float[] logits = [1000f, 999f, -1000f, 0f, 0f, 0f, 0f, 0f, 0f, 0f];
        var p = new float[10];
        DigitModel.Softmax(logits, p);
        double e1 = Math.Exp(-1);
        Assert.AreEqual(1 / (1 + e1), p[0], 1e-6);
        Assert.AreEqual(e1 / (1 + e1), p[1], 1e-6);
        Assert.AreEqual(0f, p[2]);
        Assert.AreEqual(1.0, p.Sum(v => (double)v), 1e-6);
    }

    private static void AssertMatchesOnnxRuntimeProbabilities(MnistPredictor predictor, string model)
    {
        const int count = 64;
        float[] images = ReferenceTools.MnistTestImages(count);
        float[] ort = ReferenceTools.RunOrt(model, images, ["probabilities"], batch: count)["probabilities"];
        IReadOnlyList<Prediction> ours = predictor.PredictBatch(images, count);
        double maxDiff = 0;
        for (int i = 0; i < count; i++)
        {
            for (int k = 0; k < 10; k++)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(ours[i].Probabilities[k] - ort[i * 10 + k]));
            }
        }
        Assert.IsLessThan(1e-5, maxDiff, $"max |ours - ONNX Runtime| = {maxDiff:G3}");
    }
}

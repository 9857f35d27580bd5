// Exported networks are valid ONNX (onnx.checker full_check), run the same in ONNX Runtime and in our
// executor, and predict exactly what the in-memory network predicts; the model card round-trips.
using Mnist.ML.Onnx;
using Mnist.ML.Testing;
using Mnist.ML.Tests.Onnx;
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Export;
using Mnist.ML.Trainer.Layers;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Tests.Export;

// The trained networks are shared by the tests of this class, and a Network's forward pass reuses its
// activation buffers (not thread-safe), so these tests must not run at the same time.
[TestClass]
[DoNotParallelize]
public sealed class OnnxExporterTests
{
    /// <summary>BatchNorm, an unpadded conv, average pooling and dropout between Linear layers.</summary>
    private const string BatchNormSpec = "conv8k3p1-bn-relu-pool2-conv8k3-bn-relu-avgpool2-flatten-fc32-relu-drop0.1-fc10";

    private static readonly Lazy<Dictionary<string, Network>> Trained = new(() =>
    {
        // Briefly trained (1 epoch on 2,000 images) so that weights, logits and BatchNorm statistics are realistic.
        var data = MnistDataset.LoadTrain(TestPaths.MnistDir).Take(2000);
        return new[] { "lenet5", "cnn3", BatchNormSpec }.ToDictionary(a => a, a =>
            new MnistTrainer(new MnistTrainerOptions { Architecture = a, Epochs = 1, BatchSize = 50, ValidationFraction = 0, Seed = 7 }).Train(data).Network);
    });

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void ExportedModelsPassOnnxCheckerFullCheck()
    {
        using var dir = new TempDir();
        var paths = Trained.Value.Select((kv, i) =>
        {
            string path = Path.Combine(dir.Path, $"model{i}.onnx");
            OnnxExporter.Export(kv.Value, path, new OnnxExportOptions { ModelCard = new ModelCard { TestAccuracy = 0.9 } });
            return path;
        }).ToArray();
        string script = "import sys, onnx\nfor p in sys.argv[1:]:\n    m = onnx.load(p)\n    onnx.checker.check_model(m, full_check=True)\n    print('ok', p, m.opset_import[0].version, [o.name for o in m.graph.output])\n";
        string output = ReferenceTools.Run(TestPaths.SystemPython, ["-c", script, .. paths]);
        TestContext.WriteLine(output);
        Assert.AreEqual(paths.Length, output.Split('\n').Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));
    }

    [TestMethod]
    [DataRow("lenet5")]
    [DataRow("cnn3")]
    [DataRow(BatchNormSpec)]
    public void ExportedModelMatchesOnnxRuntimeOnAllMnistTestImages(string architecture)
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Path, "model.onnx");
        OnnxExporter.Export(Trained.Value[architecture], path);
        float[] images = ReferenceTools.MnistTestImages();
        string[] outputs = [OnnxExporter.LogitsName, OnnxExporter.ProbabilitiesName];
        var expected = ReferenceTools.RunOrt(path, images, outputs);
        ReferenceTools.AssertMatches(OnnxModel.Load(path), images, expected, outputs, TestContext);
    }

    [TestMethod]
    [DataRow("lenet5")]
    [DataRow("cnn3")]
    [DataRow(BatchNormSpec)]
    public void TrainExportLoadPredictsWhatTheNetworkPredicts(string architecture)
    {
        Network network = Trained.Value[architecture];
        var model = OnnxModel.Load(OnnxExporter.ToBytes(network));
        var test = MnistDataset.LoadTest(TestPaths.MnistDir).Take(1000);
        float[] probabilities = network.PredictProbabilities(test.Images, test.Count);
        float[] logits = network.Forward(test.Images, test.Count, training: false).ToArray();

        var result = model.Run(test.Images, [test.Count, 1, 28, 28]);
        double logitDiff = MaxDiff(logits, result[0].Floats!), probabilityDiff = MaxDiff(probabilities, result[1].Floats!);
        int sameDigit = Enumerable.Range(0, test.Count).Count(i => ArgMax(logits, i) == ArgMax(result[0].Floats!, i));
        TestContext.WriteLine($"{architecture}: max logit diff {logitDiff:G3}, max probability diff {probabilityDiff:G3}, same digit {sameDigit}/{test.Count}");
        Assert.IsLessThanOrEqualTo(1e-4, logitDiff);
        Assert.IsLessThanOrEqualTo(1e-5, probabilityDiff);
        Assert.AreEqual(test.Count, sameDigit);
    }

    [TestMethod]
    public void ModelCardAndSignatureRoundTrip()
    {
        var trainedAt = new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
        var data = new DigitDataset(new float[2 * 784], [3, 4]);
        var card = new ModelCard
        {
            TrainingDataSha256 = ModelCard.HashOf(data),
            TestAccuracy = 0.9912,
            TrainingOptions = new MnistTrainerOptions { Epochs = 3 }.ToString(),
            TrainedAt = trainedAt,
        };
        Network network = NetworkSpec.Build("lenet5", seed: 1);
        using var stream = new MemoryStream();
        OnnxExporter.Export(network, stream, new OnnxExportOptions { ModelCard = card, IncludeProbabilities = false });
        var model = OnnxModel.Load(stream.ToArray());

        Assert.AreEqual(network.Spec, model.Metadata[ModelCard.Keys.Architecture]);
        Assert.AreEqual(card.TrainingDataSha256, model.Metadata[ModelCard.Keys.TrainingDataSha256]);
        Assert.AreEqual(64, card.TrainingDataSha256.Length);
        Assert.AreEqual("0.9912", model.Metadata[ModelCard.Keys.TestAccuracy]);
        Assert.AreEqual(ModelCard.MnistPreprocessing, model.Metadata[ModelCard.Keys.Preprocessing]);
        StringAssert.Contains(model.Metadata[ModelCard.Keys.TrainingOptions], "Epochs = 3");
        Assert.AreEqual(trainedAt, DateTimeOffset.Parse(model.Metadata[ModelCard.Keys.TrainedAt], System.Globalization.CultureInfo.InvariantCulture));
        Assert.AreEqual("Mnist.ML", model.ProducerName);
        Assert.AreEqual(OnnxExporter.Opset, model.OpsetVersion);
        Assert.AreEqual("input: float32[N,1,28,28]", model.Inputs.Single().ToString());
        Assert.AreEqual("logits: float32[N,10]", model.Outputs.Single().ToString());
        Assert.AreNotEqual(card.TrainingDataSha256, ModelCard.HashOf(new DigitDataset(new float[2 * 784], [3, 5])));
    }

    [TestMethod]
    public void ExportPublicTypesAreExactlyThese()
    {
        var actual = typeof(OnnxExporter).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == "Mnist.ML.Trainer.Export").Select(t => t.FullName!).Order(StringComparer.Ordinal).ToArray();
        string[] expected =
        [
            "Mnist.ML.Trainer.Export.ModelCard",
            "Mnist.ML.Trainer.Export.ModelCard+Keys",
            "Mnist.ML.Trainer.Export.OnnxExportOptions",
            "Mnist.ML.Trainer.Export.OnnxExporter",
        ];
        CollectionAssert.AreEqual(expected, actual, "actual: " + string.Join(", ", actual));
    }

    [TestMethod]
    public void Temperature_DividesBothOutputsLogits_KeepsTheDigits_AndIsOnTheCard()
    {
        Network network = Trained.Value[BatchNormSpec];
        var test = MnistDataset.LoadTest(TestPaths.MnistDir).Take(500);
        float[] logits = network.PredictLogits(test.Images, test.Count);
        var model = OnnxModel.Load(OnnxExporter.ToBytes(network, new OnnxExportOptions { Temperature = 2.5 }));
        var result = model.Run(test.Images, [test.Count, 1, 28, 28]);

        float[] scaled = logits.Select(z => z / 2.5f).ToArray();
        float[] probabilities = new float[scaled.Length];
        for (int i = 0; i < test.Count; i++)
        {
            float max = scaled.AsSpan(i * 10, 10).ToArray().Max();
            double sum = Enumerable.Range(0, 10).Sum(k => Math.Exp(scaled[i * 10 + k] - max));
            for (int k = 0; k < 10; k++) probabilities[i * 10 + k] = (float)(Math.Exp(scaled[i * 10 + k] - max) / sum);
        }
        double logitDiff = MaxDiff(scaled, result[0].Floats!), probabilityDiff = MaxDiff(probabilities, result[1].Floats!);
        TestContext.WriteLine($"max diff to logits / T {logitDiff:G3}, to softmax(logits / T) {probabilityDiff:G3}");
        Assert.IsLessThanOrEqualTo(1e-4, logitDiff);
        Assert.IsLessThanOrEqualTo(1e-5, probabilityDiff);
        Assert.AreEqual(test.Count, Enumerable.Range(0, test.Count).Count(i => ArgMax(logits, i) == ArgMax(result[0].Floats!, i)));
        Assert.AreEqual("2.5", model.Metadata[ModelCard.Keys.LogitsTemperature]);
        Assert.IsFalse(OnnxModel.Load(OnnxExporter.ToBytes(network)).Metadata.ContainsKey(ModelCard.Keys.LogitsTemperature), "T = 1 writes no temperature.");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new OnnxExportOptions { Temperature = 0 });
        Assert.ThrowsExactly<NotSupportedException>(() => OnnxExporter.ToBytes(NetworkSpec.Build("flatten-fc10-relu", seed: 1), new OnnxExportOptions { Temperature = 2 }));
    }

    private static double MaxDiff(float[] a, float[] b)
    {
        Assert.AreEqual(a.Length, b.Length);
        double worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }

    private static int ArgMax(float[] v, int row)
    {
        int best = 0;
        for (int i = 1; i < 10; i++)
        {
            if (v[row * 10 + i] > v[row * 10 + best]) best = i;
        }
        return best;
    }
}

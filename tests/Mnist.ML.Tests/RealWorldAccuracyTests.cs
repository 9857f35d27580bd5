// The shipped model on digits rendered the way users send them (scripts/make-realworld-set.py: photos,
// coloured ink, transparent PNGs, off-centre, rotated, thick and thin strokes): accuracy per kind, exactly
// as recorded in the model card's realworld_accuracy (written by scripts/train-release-model.sh).
using System.Globalization;
using Mnist.ML.Testing;
using Mnist.ML.Tests.Onnx;

namespace Mnist.ML.Tests;

[TestClass]
public sealed class RealWorldAccuracyTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void ShippedModel_OnRealWorldStyleDigits_ScoresTheCardsAccuracyPerKind()
    {
        // data/realworld is generated once (default seed 2024, 200 per kind) and reused; delete it to regenerate.
        string dir = TestPaths.Combine("data", "realworld");
        if (!File.Exists(Path.Combine(dir, "labels.csv")))
        {
            ReferenceTools.Run(TestPaths.SystemPython, TestPaths.Combine("scripts", "make-realworld-set.py"), "--out", dir, "--mnist", TestPaths.MnistDir);
        }
        var rows = File.ReadLines(Path.Combine(dir, "labels.csv")).Skip(1).Select(l => l.Split(','))
            .Select(f => (File: f[0], Label: int.Parse(f[1], CultureInfo.InvariantCulture), Kind: f[2])).ToArray();
        MnistPredictor predictor = PredictorFixtures.Shipped;
        IReadOnlyList<Prediction> predictions = predictor.PredictBatch(rows.Select(r => Path.Combine(dir, r.File)));

        string recorded = predictor.Model.Metadata.GetValueOrDefault("realworld_accuracy")
            ?? throw new AssertFailedException("The shipped model card has no realworld_accuracy: make the model with scripts/train-release-model.sh.");
        var card = recorded.Split(';').Select(e => e.Split('=')).ToDictionary(e => e[0], e => double.Parse(e[1], CultureInfo.InvariantCulture));

        var lines = new List<string> { $"model: {predictor.Model}", "kind              n     accuracy      card  wrong (file: label -> predicted)" };
        var measured = new Dictionary<string, double>();
        foreach (var kind in rows.Select((r, i) => (Row: r, Prediction: predictions[i])).GroupBy(x => x.Row.Kind))
        {
            var wrong = kind.Where(x => x.Prediction.Digit != x.Row.Label).ToArray();
            double accuracy = measured[kind.Key] = Math.Round(1 - wrong.Length / (double)kind.Count(), 4);
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{kind.Key,-16} {kind.Count(),4} {accuracy,11:P1} {card.GetValueOrDefault(kind.Key, double.NaN),9:P1}  {string.Join(", ", wrong.Take(6).Select(x => $"{Path.GetFileName(x.Row.File)}: {x.Row.Label}->{x.Prediction.Digit}"))}"));
        }
        double overall = rows.Where((r, i) => predictions[i].Digit == r.Label).Count() / (double)rows.Length;
        lines.Add(string.Create(CultureInfo.InvariantCulture, $"overall          {rows.Length,4} {overall,11:P2}"));
        TestContext.WriteLine(string.Join("\n", lines));
        CollectionAssert.AreEquivalent(card.Keys.ToArray(), measured.Keys.ToArray(), "the card and the generated set name different kinds:\n" + string.Join("\n", lines));
        foreach (var (kind, accuracy) in measured) Assert.AreEqual(card[kind], accuracy, $"{kind}: the file no longer scores what its card says\n" + string.Join("\n", lines));
        Assert.IsGreaterThanOrEqualTo(0.97, overall, string.Join("\n", lines));
    }
}

// `mnist evaluate` on the shared tiny model: the terminal report, the HTML report, bad inputs.
using System.Globalization;
using System.Text.RegularExpressions;
using Mnist.ML.Onnx;
using Mnist.ML.Testing;

namespace Mnist.ML.Cli.Tests.Commands;

[TestClass]
public sealed class EvaluateCommandTests
{
    [TestMethod]
    public async Task ShowsAccuracyPerDigitScoresAndConfusionMatrixOfTheTestSet()
    {
        string onnx = await TrainedModel.OnnxAsync();

        CliResult result = await CliProcess.RunAsync(["evaluate", "--model", onnx, "--data", TestPaths.MnistDir]);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Match accuracy = Regex.Match(result.Stdout, @"^accuracy  (\d+\.\d\d)% \(([\d,]+) of 10,000 images\)$", RegexOptions.Multiline);
        Assert.IsTrue(accuracy.Success, result.ToString());
        StringAssert.Contains(result.Stdout, "digit  precision  recall      F1   images");
        StringAssert.Contains(result.Stdout, "confusion matrix (rows: true digit, columns: predicted digit)");

        // The matrix has ten rows of ten counts; they add up to the test set, its diagonal to the correct ones.
        var rows = Regex.Matches(result.Stdout, @"^ {8}(\d)((?: +\d+){10})$", RegexOptions.Multiline);
        Assert.HasCount(10, rows, result.Stdout);
        int[][] counts = rows.Select(r => r.Groups[2].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()).ToArray();
        Assert.AreEqual(10_000, counts.Sum(r => r.Sum()));
        int correct = Enumerable.Range(0, 10).Sum(k => counts[k][k]);
        Assert.AreEqual(int.Parse(accuracy.Groups[2].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture), correct);

        // The ONNX model run by the executor scores what the trainer measured on its own network at export.
        double card = double.Parse(OnnxModel.Load(onnx).Metadata["test_accuracy"], CultureInfo.InvariantCulture);
        Assert.AreEqual(card * 100, double.Parse(accuracy.Groups[1].Value, CultureInfo.InvariantCulture), 0.1, "executor vs trainer accuracy");
    }

    [TestMethod]
    public async Task WithoutModelEvaluatesTheShippedModelAndMatchesItsCard()
    {
        CliResult result = await CliProcess.RunAsync(["evaluate", "--data", TestPaths.MnistDir]);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stdout, "(shipped with Mnist.ML)");
        Match accuracy = Regex.Match(result.Stdout, @"^accuracy  (\d+\.\d\d)% \(([\d,]+) of 10,000 images\)$", RegexOptions.Multiline);
        Assert.IsTrue(accuracy.Success, result.ToString());
        double card = double.Parse(Mnist.ML.MnistPredictor.Load().Model.Metadata["test_accuracy"], CultureInfo.InvariantCulture);
        Assert.AreEqual(card * 100, double.Parse(accuracy.Groups[1].Value, CultureInfo.InvariantCulture), 0.005, "the shipped card's test accuracy");
    }

    [TestMethod]
    public async Task ReportIsSelfContainedHtmlWithHeatMapAndMisclassifiedDigits()
    {
        string onnx = await TrainedModel.OnnxAsync();
        using var dir = new TempDir();
        string report = dir.File("report.html");

        CliResult result = await CliProcess.RunAsync(["evaluate", "--model", onnx, "--data", TestPaths.MnistDir, "--report", report]);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stdout, "report    " + report);
        string html = File.ReadAllText(report);
        StringAssert.StartsWith(html, "<!DOCTYPE html>");
        StringAssert.Contains(html, "<svg class=\"heatmap\"");
        Assert.HasCount(100, Regex.Matches(html, "<rect [^>]*><title>true \\d, predicted \\d: \\d+</title></rect>"), "one heat-map cell per (true, predicted) pair");
        int shown = Regex.Matches(html, "<img alt=\"test image \\d+\" src=\"data:image/png;base64,[A-Za-z0-9+/=]+\">").Count;
        Assert.IsTrue(shown is > 0 and <= 200, $"{shown} misclassified digits shown");
        Assert.DoesNotMatchRegex(new Regex("(src|href)=\"(https?:|//)"), html, "nothing is loaded from elsewhere");
        // A gallery image is a real PNG of the 28x28 digit.
        string base64 = Regex.Match(html, "data:image/png;base64,([A-Za-z0-9+/=]+)").Groups[1].Value;
        byte[] png = Convert.FromBase64String(base64);
        CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        Assert.AreEqual(28, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16, 4)));
    }

    [TestMethod]
    public async Task MissingModelIsExit3WithOneLine()
    {
        using var dir = new TempDir();

        CliResult result = await CliProcess.RunAsync(["evaluate", "--model", dir.File("missing.onnx"), "--data", TestPaths.MnistDir]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
        StringAssert.Contains(result.Stderr, "missing.onnx");
    }

    [TestMethod]
    public async Task CorruptModelIsExit3WithOneLine()
    {
        using var dir = new TempDir();
        string model = dir.File("corrupt.onnx");
        File.WriteAllBytes(model, [.. File.ReadAllBytes(await TrainedModel.OnnxAsync()).AsSpan(0, 1000)]);

        CliResult result = await CliProcess.RunAsync(["evaluate", "--model", model, "--data", TestPaths.MnistDir]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
    }

    [TestMethod]
    public async Task MissingTestDataIsExit3WithOneLine()
    {
        using var dir = new TempDir();

        CliResult result = await CliProcess.RunAsync(["evaluate", "--model", await TrainedModel.OnnxAsync(), "--data", dir.Path]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
    }
}

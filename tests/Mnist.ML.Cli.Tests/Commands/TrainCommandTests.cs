// `mnist train` as a user runs it: the files it writes, its output in a log, Ctrl+C and --resume.
using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Mnist.ML.Onnx;
using Mnist.ML.Testing;

namespace Mnist.ML.Cli.Tests.Commands;

[TestClass]
public sealed class TrainCommandTests
{
    [TestMethod]
    public async Task WritesModelCheckpointMetricsAndCurveNamedAfterTheRun()
    {
        TrainedModel run = await TrainedModel.GetAsync();

        Assert.AreEqual(0, run.Result.ExitCode, run.Result.ToString());
        string[] files = Directory.GetFiles(run.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        Assert.HasCount(4, files, string.Join(", ", files));
        string name = Path.GetFileNameWithoutExtension(run.Onnx);
        Assert.MatchesRegex(@"^lenet5-e1-b32-\d{8}-\d{6}$", name);
        CollectionAssert.AreEqual(new[] { name + ".ckpt", name + ".metrics.csv", name + ".onnx", name + ".svg" }, files);
    }

    [TestMethod]
    public async Task OnnxLoadsAndCarriesTheModelCard()
    {
        string onnx = await TrainedModel.OnnxAsync();

        OnnxModel model = OnnxModel.Load(onnx);
        Assert.AreEqual("Mnist.ML", model.ProducerName);
        Assert.IsTrue(model.Metadata.TryGetValue("test_accuracy", out string? accuracy), "no test_accuracy in the model card");
        // One epoch on 2,400 images: far above chance (10%), far from perfect.
        Assert.IsGreaterThan(0.6, double.Parse(accuracy, CultureInfo.InvariantCulture));
        Assert.IsTrue(model.Metadata.ContainsKey("training_data_sha256"));
    }

    [TestMethod]
    public async Task MetricsCsvHasOneRowPerEpochWithValidation()
    {
        TrainedModel run = await TrainedModel.GetAsync();
        string[] lines = File.ReadAllLines(Path.ChangeExtension(run.Onnx, ".metrics.csv"));

        Assert.HasCount(2, lines, string.Join("\n", lines));
        Assert.AreEqual("epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,images_per_second,seconds", lines[0]);
        string[] row = lines[1].Split(',');
        Assert.AreEqual("1", row[0]);
        double valAccuracy = double.Parse(row[4], CultureInfo.InvariantCulture);
        Assert.IsTrue(valAccuracy is > 0.5 and <= 1, lines[1]);
        Assert.IsGreaterThan(0.0, double.Parse(row[3], CultureInfo.InvariantCulture));
    }

    [TestMethod]
    public async Task LearningCurveIsWellFormedSvgWithBothSeriesAndAxes()
    {
        TrainedModel run = await TrainedModel.GetAsync();

        XDocument svg = XDocument.Load(Path.ChangeExtension(run.Onnx, ".svg"));
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.AreEqual(ns + "svg", svg.Root!.Name);
        var groups = svg.Root.Elements(ns + "g").Select(g => (string?)g.Attribute("class")).ToList();
        CollectionAssert.AreEqual(new[] { "loss", "accuracy" }, groups);
        foreach (XElement group in svg.Root.Elements(ns + "g"))
        {
            var series = group.Elements(ns + "polyline").Select(p => (string?)p.Attribute("class")).ToList();
            CollectionAssert.AreEqual(new[] { "train", "validation" }, series, group.ToString());
            var texts = group.Elements(ns + "text").Select(t => t.Value).ToList();
            CollectionAssert.Contains(texts, "epoch");
            CollectionAssert.Contains(texts, "validation");
        }
    }

    [TestMethod]
    public async Task RedirectedOutputIsPlainLinesWithAnEpochTable()
    {
        TrainedModel run = await TrainedModel.GetAsync();
        string stdout = run.Result.Stdout;

        Assert.DoesNotContain("\r", stdout, "a log gets no redrawn progress line");
        Assert.DoesNotContain("\u001b", stdout);
        StringAssert.Contains(stdout, "epoch   train loss  train acc   val loss    val acc      time");
        Assert.MatchesRegex(new Regex(@"^1/1 +\d+\.\d{4} +\d+\.\d\d% +\d+\.\d{4} +\d+\.\d\d% +\d+\.\d s$", RegexOptions.Multiline), stdout);
        StringAssert.Contains(stdout, "img/s");
        StringAssert.Contains(stdout, "test        accuracy");
        Assert.AreEqual("", run.Result.Stderr);
    }

    [TestMethod]
    [DataRow("false", true, DisplayName = "terminal: live bar")]
    [DataRow("true", false, DisplayName = "terminal under CI=true: plain lines")]
    public async Task AtATerminalTheProgressBarIsRedrawnInPlaceUnlessCi(string ci, bool live)
    {
        using var dir = new TempDir();
        string train = string.Join(' ', "dotnet", CliProcess.CliDll, "train --arch lenet5 --epochs 1 --limit 600 --batch-size 16 --data", TestPaths.MnistDir, "--out", dir.Path);

        // util-linux script(1) runs the tool on a pseudo-terminal, as a person would see it.
        CliResult result = await CliProcess.RunCommandAsync("script", ["-qfec", train, "/dev/null"], new Dictionary<string, string> { ["CI"] = ci });

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.AreEqual(live, result.Stdout.Contains("\r1/1    [", StringComparison.Ordinal), result.ToString());
        Assert.AreEqual(live, result.Stdout.Contains("\u001b[K", StringComparison.Ordinal), result.ToString());
        Assert.AreEqual(!live, Regex.IsMatch(result.Stdout, @"^1/1 +(25|50|75)%", RegexOptions.Multiline), result.ToString());
        Assert.MatchesRegex(new Regex(@"[\r\n](\u001b\[K)?1/1 +\d+\.\d{4} +\d+\.\d\d%"), result.Stdout, "the epoch row, after the bar is cleared");
    }

    [TestMethod]
    public async Task CtrlCKeepsTheCheckpointAndResumeFinishesTheRun()
    {
        using var dir = new TempDir();
        string[] train = ["train", "--arch", "lenet5", "--limit", "1000", "--batch-size", "32", "--out", dir.Path, "--data", TestPaths.MnistDir];

        // Many epochs, interrupted once the first one is in metrics.csv: certainly mid-run.
        CliResult interrupted = await CliProcess.RunAsync([.. train, "--epochs", "50"], whileRunning: async pid =>
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            while (Directory.GetFiles(dir.Path, "*.metrics.csv").Length == 0)
            {
                await Task.Delay(100, patience.Token);
            }
            await CliProcess.InterruptAsync(pid);
        });

        Assert.AreEqual(130, interrupted.ExitCode, interrupted.ToString());
        MnistCliTests.AssertOneErrorLine(interrupted);
        string checkpoint = Directory.GetFiles(dir.Path, "*.ckpt").Single();
        StringAssert.Contains(interrupted.Stderr, "--resume " + checkpoint);
        Assert.IsEmpty(Directory.GetFiles(dir.Path, "*.onnx"), "an interrupted run exports no model");
        string metrics = Path.ChangeExtension(checkpoint, ".metrics.csv");
        int done = File.ReadAllLines(metrics).Length - 1;

        CliResult resumed = await CliProcess.RunAsync([.. train, "--epochs", (done + 1).ToString(CultureInfo.InvariantCulture), "--resume", checkpoint]);

        Assert.AreEqual(0, resumed.ExitCode, resumed.ToString());
        Assert.MatchesRegex(new Regex($"^{done + 1}/{done + 1} ", RegexOptions.Multiline), resumed.Stdout, "only the remaining epoch is trained");
        Assert.DoesNotMatchRegex(new Regex($"^{done}/{done + 1} ", RegexOptions.Multiline), resumed.Stdout);
        Assert.HasCount(done + 2, File.ReadAllLines(metrics));
        Assert.IsTrue(File.Exists(Path.ChangeExtension(checkpoint, ".onnx")));
    }

    [TestMethod]
    public async Task MissingDataIsExit3WithOneLine()
    {
        using var dir = new TempDir();

        CliResult result = await CliProcess.RunAsync(["train", "--arch", "lenet5", "--epochs", "1", "--data", dir.File("nowhere"), "--out", dir.Path]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
    }

    [TestMethod]
    public async Task ResumeFromAMissingCheckpointIsExit3()
    {
        using var dir = new TempDir();

        CliResult result = await CliProcess.RunAsync(["train", "--arch", "lenet5", "--epochs", "1", "--limit", "100", "--data", TestPaths.MnistDir, "--out", dir.Path, "--resume", dir.File("gone.ckpt")]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
        StringAssert.Contains(result.Stderr, "gone.ckpt");
    }
}

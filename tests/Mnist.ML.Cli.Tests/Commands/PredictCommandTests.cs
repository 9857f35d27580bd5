// `mnist predict` on the shared tiny model: images of every format (made by PIL), text and JSON
// output, debug images, bad files, and URLs (served, unreachable, refused).
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mnist.ML.Testing;

namespace Mnist.ML.Cli.Tests.Commands;

[TestClass]
public sealed class PredictCommandTests
{
    private static readonly TempDir Images = new();

    [ClassInitialize]
    public static void MakeImages(TestContext _) => TestDigits.Write(Images.Path);

    [ClassCleanup]
    public static void DeleteImages() => Images.Dispose();

    [TestMethod]
    public async Task RecognisesDigitsInEveryFormatAsReadableText()
    {
        string[] files = [.. TestDigits.Formats.SelectMany(f => TestDigits.Labels.Select((_, i) => TestDigits.FileOf(Images.Path, i, f)))];

        CliResult result = await CliProcess.RunAsync(["predict", .. files, "--model", await TrainedModel.OnnxAsync()]);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.AreEqual("", result.Stderr);
        foreach (string format in TestDigits.Formats)
        {
            for (int i = 0; i < TestDigits.Labels.Length; i++)
            {
                string file = TestDigits.FileOf(Images.Path, i, format);
                Assert.MatchesRegex(new Regex($"^{Regex.Escape(file)}: {TestDigits.Labels[i]} \\(\\d+\\.\\d%\\)$", RegexOptions.Multiline), result.Stdout, $"{file}\n{result.Stdout}");
            }
        }
        // Ten probability lines per input, the predicted one marked.
        Assert.HasCount(10 * files.Length, Regex.Matches(result.Stdout, @"^  \d \|[# ]{30}\| +\d+\.\d%", RegexOptions.Multiline));
        Assert.HasCount(files.Length, Regex.Matches(result.Stdout, "  <-$", RegexOptions.Multiline));
    }

    [TestMethod]
    public async Task WithoutModelUsesTheModelShippedInMnistML()
    {
        string[] files = [.. TestDigits.Labels.Select((_, i) => TestDigits.FileOf(Images.Path, i, "png"))];

        CliResult result = await CliProcess.RunAsync(["predict", .. files, "--json"]);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        int[] digits = [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.GetProperty("digit").GetInt32())];
        CollectionAssert.AreEqual(TestDigits.Labels, digits, result.ToString());
    }

    [TestMethod]
    public async Task JsonIsOneObjectPerInputIncludingErrors()
    {
        string good = TestDigits.FileOf(Images.Path, 0, "png");
        string missing = Path.Combine(Images.Path, "missing.png");

        CliResult result = await CliProcess.RunAsync(["predict", good, missing, TestDigits.FileOf(Images.Path, 1, "jpg"), "--json", "--model", await TrainedModel.OnnxAsync()]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        string[] lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(3, lines, result.ToString());
        using JsonDocument first = JsonDocument.Parse(lines[0]);
        JsonElement p = first.RootElement;
        Assert.AreEqual(good, p.GetProperty("input").GetString());
        Assert.AreEqual(7, p.GetProperty("digit").GetInt32());
        float[] probabilities = [.. p.GetProperty("probabilities").EnumerateArray().Select(e => e.GetSingle())];
        Assert.HasCount(10, probabilities);
        Assert.AreEqual(1.0, probabilities.Sum(), 1e-4);
        Assert.AreEqual(probabilities.Max(), p.GetProperty("confidence").GetSingle());
        using JsonDocument second = JsonDocument.Parse(lines[1]);
        Assert.AreEqual(missing, second.RootElement.GetProperty("input").GetString());
        Assert.IsFalse(second.RootElement.TryGetProperty("digit", out _));
        StringAssert.Contains(second.RootElement.GetProperty("error").GetString(), "no such file");
        using JsonDocument third = JsonDocument.Parse(lines[2]);
        Assert.AreEqual(2, third.RootElement.GetProperty("digit").GetInt32());
        MnistCliTests.AssertOneErrorLine(result);
    }

    [TestMethod]
    public async Task DebugImagesAreThe28x28ModelInputsNumberedByInput()
    {
        using var dir = new TempDir();
        string[] inputs = [TestDigits.FileOf(Images.Path, 0, "bmp"), Path.Combine(Images.Path, "missing.png"), TestDigits.FileOf(Images.Path, 2, "gif")];

        CliResult result = await CliProcess.RunAsync(["predict", .. inputs, "--debug-image", dir.File("seen.png"), "--model", await TrainedModel.OnnxAsync()]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        CollectionAssert.AreEquivalent(new[] { "seen-1.png", "seen-3.png" }, Directory.GetFiles(dir.Path).Select(Path.GetFileName).ToArray());
        foreach (string file in Directory.GetFiles(dir.Path))
        {
            byte[] png = File.ReadAllBytes(file);
            CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            Assert.AreEqual((28, 28), (ReadBigEndian(png, 16), ReadBigEndian(png, 20)), file);
        }
    }

    [TestMethod]
    public async Task OneInputWritesTheDebugImageUnderTheGivenName()
    {
        using var dir = new TempDir();

        CliResult result = await CliProcess.RunAsync(["predict", TestDigits.FileOf(Images.Path, 3, "png"), "--debug-image", dir.File("seen.png"), "--model", await TrainedModel.OnnxAsync()]);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.IsTrue(File.Exists(dir.File("seen.png")), result.ToString());
    }

    [TestMethod]
    [DataRow("truncated", DisplayName = "truncated PNG")]
    [DataRow("garbage", DisplayName = "not an image")]
    [DataRow("blank", DisplayName = "white page, no ink")]
    public async Task CorruptImageIsOneLineAndExit3AndTheOthersStillRun(string kind)
    {
        using var dir = new TempDir();
        string bad = dir.File(kind + ".png");
        byte[] png = File.ReadAllBytes(TestDigits.FileOf(Images.Path, 0, "png"));
        File.WriteAllBytes(bad, kind switch
        {
            "truncated" => png[..(png.Length / 2)],
            "garbage" => "this is not an image at all"u8.ToArray(),
            _ => File.ReadAllBytes(WhitePage(dir)),
        });
        string good = TestDigits.FileOf(Images.Path, 1, "png");

        CliResult result = await CliProcess.RunAsync(["predict", bad, good, "--model", await TrainedModel.OnnxAsync()]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
        StringAssert.StartsWith(result.Stderr, $"mnist: {bad}: ");
        StringAssert.Contains(result.Stdout, $"{good}: 2 (");
    }

    [TestMethod]
    public async Task MissingFileIsExit3()
    {
        CliResult result = await CliProcess.RunAsync(["predict", Path.Combine(Images.Path, "nope.png"), "--model", await TrainedModel.OnnxAsync()]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
        Assert.AreEqual("", result.Stdout);
    }

    [TestMethod]
    public async Task MissingModelIsExit3()
    {
        CliResult result = await CliProcess.RunAsync(["predict", TestDigits.FileOf(Images.Path, 0, "png"), "--model", Path.Combine(Images.Path, "nope.onnx")]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
    }

    [TestMethod]
    public async Task UrlOfAnAllowedHostIsFetchedAndRecognised()
    {
        byte[] jpeg = File.ReadAllBytes(TestDigits.FileOf(Images.Path, 0, "jpg"));
        using var server = new LoopbackMirror(name => name == "seven.jpg" ? jpeg : null);
        string url = new Uri(server.BaseUri, "seven.jpg").ToString();

        CliResult result = await CliProcess.RunAsync(["predict", url, "--allow-host", "127.0.0.1", "--json", "--model", await TrainedModel.OnnxAsync()]);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        using JsonDocument json = JsonDocument.Parse(result.Stdout);
        Assert.AreEqual(url, json.RootElement.GetProperty("input").GetString());
        Assert.AreEqual(7, json.RootElement.GetProperty("digit").GetInt32());
    }

    [TestMethod]
    public async Task UnreachableUrlIsExit4WithOneLine()
    {
        string url = $"http://127.0.0.1:{LoopbackMirror.ClosedPort()}/digit.png";

        CliResult result = await CliProcess.RunAsync(["predict", url, "--allow-host", "127.0.0.1", "--model", await TrainedModel.OnnxAsync()]);

        Assert.AreEqual(4, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
        StringAssert.StartsWith(result.Stderr, $"mnist: {url}: ");
    }

    [TestMethod]
    [DataRow("http://127.0.0.1:9/digit.png")]
    [DataRow("http://10.1.2.3/digit.png")]
    [DataRow("http://192.168.0.1/digit.png")]
    [DataRow("http://169.254.169.254/latest/meta-data/")]
    [DataRow("http://[::1]/digit.png")]
    [DataRow("http://localhost/digit.png")]
    public async Task PrivateAddressIsRefusedWithExit3(string url)
    {
        CliResult result = await CliProcess.RunAsync(["predict", url, "--model", await TrainedModel.OnnxAsync()]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
        StringAssert.Contains(result.Stderr, "Refused");
        StringAssert.Contains(result.Stderr, "--allow-host");
    }

    [TestMethod]
    [DataRow("ftp://example.com/digit.png")]
    [DataRow("file:///etc/passwd")]
    public async Task NonHttpUrlIsExit3(string url)
    {
        CliResult result = await CliProcess.RunAsync(["predict", url, "--model", await TrainedModel.OnnxAsync()]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
    }

    private static string WhitePage(TempDir dir)
    {
        // A real, valid PNG without ink, written by PIL like the digits.
        string path = dir.File("white-source.png");
        CliProcess.RunPython("import sys; from PIL import Image; Image.new('L', (40, 40), 255).save(sys.argv[1])", path);
        return path;
    }

    private static int ReadBigEndian(byte[] bytes, int offset) =>
        System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset, 4));
}

// `mnist serve`: the server starts with the given model and address (or config file), answers,
// and stops on Ctrl+C with exit 0; a model that cannot load is one line and exit 3.
using System.Net.Http.Json;
using System.Text.Json;
using Mnist.ML.Testing;

namespace Mnist.ML.Cli.Tests.Commands;

[TestClass]
public sealed class ServeCommandTests
{
    [TestMethod]
    public async Task ServesTheGivenModelOnTheGivenAddressUntilCtrlC()
    {
        string onnx = await TrainedModel.OnnxAsync();
        using var dir = new TempDir();
        var url = new Uri($"http://127.0.0.1:{LoopbackMirror.ClosedPort()}/");
        JsonElement? model = null;

        CliResult result = await CliProcess.RunAsync(["serve", "--urls", url.ToString(), "--model", onnx, "--config", WriteConfig(dir)],
            whileRunning: async pid => model = await GetModelThenInterruptAsync(url, pid));

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.IsNotNull(model, result.ToString());
        Assert.AreEqual(onnx, model.Value.GetProperty("source").GetString());
    }

    [TestMethod]
    public async Task ConfigFileCanNameTheModelAndTheAddress()
    {
        string onnx = await TrainedModel.OnnxAsync();
        using var dir = new TempDir();
        var url = new Uri($"http://127.0.0.1:{LoopbackMirror.ClosedPort()}/");
        JsonElement? model = null;

        CliResult result = await CliProcess.RunAsync(["serve", "--config", WriteConfig(dir, onnx, url)],
            whileRunning: async pid => model = await GetModelThenInterruptAsync(url, pid));

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        Assert.AreEqual(onnx, model?.GetProperty("source").GetString(), result.ToString());
    }

    [TestMethod]
    public async Task MissingModelIsExit3WithOneLine()
    {
        using var dir = new TempDir();

        CliResult result = await CliProcess.RunAsync(["serve", "--model", dir.File("missing.onnx"), "--urls", $"http://127.0.0.1:{LoopbackMirror.ClosedPort()}"]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
    }

    [TestMethod]
    public async Task MissingConfigFileIsExit3WithOneLine()
    {
        using var dir = new TempDir();

        CliResult result = await CliProcess.RunAsync(["serve", "--model", await TrainedModel.OnnxAsync(), "--config", dir.File("missing.json")]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
        StringAssert.Contains(result.Stderr, "missing.json");
    }

    /// <summary>A config that keeps logs in the test's folder, optionally naming the model and address.</summary>
    private static string WriteConfig(TempDir dir, string? model = null, Uri? url = null)
    {
        var mnist = new Dictionary<string, object?> { ["LogFolder"] = dir.File("logs") };
        if (model is not null)
        {
            mnist["ModelPath"] = model;
        }
        var config = new Dictionary<string, object?> { ["Mnist"] = mnist };
        if (url is not null)
        {
            config["Urls"] = url.ToString();
        }
        string path = dir.File("server.json");
        File.WriteAllText(path, JsonSerializer.Serialize(config));
        return path;
    }

    /// <summary>Waits until the server answers GET /model, then sends Ctrl+C (SIGINT) and returns the answer.</summary>
    private static async Task<JsonElement> GetModelThenInterruptAsync(Uri url, int pid)
    {
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            while (true)
            {
                try
                {
                    return await http.GetFromJsonAsync<JsonElement>("model", patience.Token);
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(200, patience.Token); // not listening yet
                }
            }
        }
        finally
        {
            await CliProcess.InterruptAsync(pid);
        }
    }
}

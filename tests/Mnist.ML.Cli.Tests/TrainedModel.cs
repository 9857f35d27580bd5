// One tiny model for the whole test run: `mnist train` on the first 3,000 MNIST training images,
// one epoch of LeNet-5, run once as a real process and shared by the train, evaluate, predict and
// serve tests (training is the slow part; once is enough to check its files too).
using Mnist.ML.Testing;

namespace Mnist.ML.Cli.Tests;

internal sealed record TrainedModel(CliResult Result, string Folder, string Onnx)
{
    public static readonly string[] Arguments = ["train", "--arch", "lenet5", "--epochs", "1", "--limit", "3000", "--batch-size", "32"];

    private static readonly TempDir Dir = new();
    private static readonly Lazy<Task<TrainedModel>> Run = new(TrainAsync);

    /// <summary>The shared run; its first caller starts it, the others wait for it.</summary>
    public static Task<TrainedModel> GetAsync() => Run.Value;

    /// <summary>The model file, failing the calling test with the training output when training failed.</summary>
    public static async Task<string> OnnxAsync()
    {
        TrainedModel model = await GetAsync();
        Assert.AreEqual(0, model.Result.ExitCode, "training the shared test model failed: " + model.Result);
        return model.Onnx;
    }

    public static void Cleanup() => Dir.Dispose();

    private static async Task<TrainedModel> TrainAsync()
    {
        CliResult result = await CliProcess.RunAsync([.. Arguments, "--out", Dir.Path, "--data", TestPaths.MnistDir]);
        string[] models = Directory.GetFiles(Dir.Path, "*.onnx");
        return new TrainedModel(result, Dir.Path, models.Length == 1 ? models[0] : "");
    }
}

[TestClass]
public static class AssemblyFixture
{
    [AssemblyCleanup]
    public static void Cleanup() => TrainedModel.Cleanup();
}

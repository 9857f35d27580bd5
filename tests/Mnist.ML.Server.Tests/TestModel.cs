// The model the server tests load: the one embedded in Mnist.ML when this build has it, else a LeNet-5
// exported by the ONNX tests' PyTorch script (made once, cached under artifacts/test-models).
using System.Diagnostics;
using Mnist.ML.Testing;

namespace Mnist.ML.Server.Tests;

internal static class TestModel
{
    private static readonly Lazy<string?> LazyPath = new(Find);

    /// <summary>Null when the embedded model is used (Mnist:ModelPath unset); else an .onnx path.</summary>
    public static string? Path => LazyPath.Value;

    private static string? Find()
    {
        if (typeof(MnistPredictor).Assembly.GetManifestResourceNames().Contains(MnistPredictor.EmbeddedModelResource))
        {
            return null;
        }
        string dir = TestPaths.Combine("artifacts", "test-models");
        string model = System.IO.Path.Combine(dir, "lenet5.onnx");
        if (File.Exists(model))
        {
            return model;
        }
        var info = new ProcessStartInfo(TestPaths.SystemPython) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(TestPaths.Combine("tests", "Mnist.ML.Tests", "Onnx", "make_torch_models.py"));
        info.ArgumentList.Add(dir);
        info.ArgumentList.Add(TestPaths.MnistDir);
        using Process process = Process.Start(info)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || !File.Exists(model))
        {
            throw new InvalidOperationException($"No embedded model and make_torch_models.py failed ({process.ExitCode}):\n{stdout}\n{stderr.Result}");
        }
        return model;
    }
}

// Runs the independent references the ONNX tests compare against (PyTorch's exporter via Debian's
// python, ONNX Runtime via node) and reads MNIST test images; fails loudly when a tool is missing.
using System.Diagnostics;
using System.Runtime.InteropServices;
using Mnist.ML.Onnx;
using Mnist.ML.Testing;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Mnist.ML.Tests.Onnx;

internal static class ReferenceTools
{
    public static string OnnxTestDir => TestPaths.Combine("tests", "Mnist.ML.Tests", "Onnx");

    /// <summary>Runs a program to completion; throws with its output when it fails.</summary>
    public static string Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {process.ExitCode}:\n{stdout}\n{stderr.Result}");
        return stdout + stderr.Result;
    }

    /// <summary>node on PATH with onnxruntime-node in tools/node; otherwise a message saying how to install it.</summary>
    public static string Node()
    {
        string ort = TestPaths.Combine("tools", "node", "node_modules", "onnxruntime-node");
        if (!Directory.Exists(ort))
            throw new InvalidOperationException($"{ort} not found. Run scripts/install-test-deps.sh (npm ci in tools/node).");
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            string candidate = Path.Combine(dir, "node");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("node not found on PATH; the ONNX Runtime parity tests need Node.js.");
    }

    /// <summary>Exports lenet5.onnx and cnn3.onnx with PyTorch into a fresh temp folder (once per test run).</summary>
    public static string TorchModels => TorchModelsDir.Value;

    /// <summary>Deletes the exported models folder if this run created one.</summary>
    public static void DeleteTorchModels()
    {
        if (TorchModelsDir.IsValueCreated && Directory.Exists(TorchModelsDir.Value)) Directory.Delete(TorchModelsDir.Value, recursive: true);
    }

    private static readonly Lazy<string> TorchModelsDir = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), "mnist-ml-onnx-" + Environment.ProcessId);
        Run(TestPaths.SystemPython, Path.Combine(OnnxTestDir, "make_torch_models.py"), dir, TestPaths.MnistDir);
        return dir;
    });

    /// <summary>The MNIST test images as (N, 1, 28, 28) floats in 0..1 (ink bright).</summary>
    public static float[] MnistTestImages(int count = 10_000)
    {
        byte[] file = File.ReadAllBytes(Path.Combine(TestPaths.MnistDir, "t10k-images-idx3-ubyte"));
        var images = new float[count * 784];
        for (int i = 0; i < images.Length; i++) images[i] = file[16 + i] / 255f;
        return images;
    }

    /// <summary>Runs <paramref name="model"/> with ONNX Runtime on the images; returns each output by name.</summary>
    public static Dictionary<string, float[]> RunOrt(string model, float[] images, string[] outputNames, int batch = 500)
    {
        string dir = Path.Combine(Path.GetTempPath(), "mnist-ml-ort-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string input = Path.Combine(dir, "input.bin");
            File.WriteAllBytes(input, MemoryMarshal.AsBytes(images.AsSpan()).ToArray());
            Run(Node(), Path.Combine(OnnxTestDir, "ort_run.js"), model, input, batch.ToString(System.Globalization.CultureInfo.InvariantCulture), Path.Combine(dir, "out"));
            return outputNames.ToDictionary(n => n, n => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, $"out.{n}.bin"))).ToArray());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Largest |ours - ONNX Runtime| allowed on logits and probabilities.</summary>
    public const double ParityTolerance = 1e-4;

    /// <summary>Runs our executor in uneven batches (so several plans are used) and compares every output.</summary>
    internal static void AssertMatches(OnnxModel model, float[] images, Dictionary<string, float[]> expected, string[] outputs, TestContext context)
    {
        int count = images.Length / 784;
        var actual = outputs.Select(o => new float[expected[o].Length]).ToArray();
        int start = 0, step = 0;
        int[] batches = [1, 7, 256, 500];
        while (start < count)
        {
            int n = Math.Min(batches[step++ % batches.Length], count - start);
            var result = model.Run(images.AsSpan(start * 784, n * 784), [n, 1, 28, 28]);
            for (int o = 0; o < outputs.Length; o++)
            {
                int width = result[o].Shape[1];
                CollectionAssert.AreEqual(new[] { n, width }, result[o].Shape, outputs[o]);
                result[o].Floats.AsSpan().CopyTo(actual[o].AsSpan(start * width));
            }
            start += n;
        }
        for (int o = 0; o < outputs.Length; o++)
        {
            float[] e = expected[outputs[o]], a = actual[o];
            Assert.AreEqual(e.Length, a.Length, outputs[o]);
            double worst = 0;
            int worstAt = 0, argmaxAgree = 0;
            for (int i = 0; i < e.Length; i++)
            {
                double d = Math.Abs(e[i] - a[i]);
                if (!(d <= worst)) { worst = d; worstAt = i; }
            }
            for (int img = 0; img < count; img++)
            {
                if (ArgMax(e.AsSpan(img * 10, 10)) == ArgMax(a.AsSpan(img * 10, 10))) argmaxAgree++;
            }
            context.WriteLine($"{outputs[o]}: max |ours - ORT| = {worst:G3} at {worstAt}; argmax agrees on {argmaxAgree}/{count}");
            Assert.IsLessThanOrEqualTo(ParityTolerance, worst, $"{outputs[o]}: element {worstAt} is {a[worstAt]}, ONNX Runtime says {e[worstAt]}");
        }
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++)
        {
            if (v[i] > v[best]) best = i;
        }
        return best;
    }
}

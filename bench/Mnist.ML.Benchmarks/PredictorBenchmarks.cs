// End-to-end MnistPredictor cost with the shipped model: decode + preprocess + inference + softmax for
// a 28x28 PNG (an MNIST digit) and a 1000x1000 JPEG photo of one, allocations per call included; plus
// the soak run (`-- soak [predictions] [threads]`): many predictions from several threads, memory before/after.
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Mnist.ML.Imaging;

namespace Mnist.ML.Benchmarks;

[Config(typeof(KernelConfig))]
[MemoryDiagnoser]
public class PredictorBenchmarks
{
    private MnistPredictor predictor = null!;
    private byte[] png = [], jpeg = [];
    private float[] pixels = [];

    [GlobalSetup]
    public void Setup()
    {
        predictor = MnistPredictor.Load();
        (png, jpeg, pixels) = (PredictorInputs.MnistPng(), PredictorInputs.PhotoJpeg(), PredictorInputs.MnistPixels(1));
    }

    [Benchmark(Description = "Predict(28x28 PNG)")]
    public int Png() => predictor.Predict(png).Digit;

    [Benchmark(Description = "Predict(1000x1000 JPEG photo)")]
    public int Jpeg() => predictor.Predict(jpeg).Digit;

    [Benchmark(Description = "Predict(784 pixels)")]
    public int Pixels() => predictor.Predict(pixels).Digit;

    // Where the photo's time goes: decoding alone, then decoding + preprocessing (Predict adds the model).
    [Benchmark(Description = "Decode(1000x1000 JPEG photo)")]
    public int DecodeJpeg() => ImageDecoder.Decode(jpeg).Width;

    [Benchmark(Description = "Preprocess(1000x1000 JPEG photo)")]
    public bool PreprocessJpeg() => MnistPreprocessor.Preprocess(jpeg).HasInk;
}

/// <summary>The benchmark inputs: MNIST test digit 0 (a 7) as pixels, as a PNG, and photographed as a big JPEG.</summary>
internal static class PredictorInputs
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Mnist.ML.sln"))) return dir.FullName;
            }
            throw new InvalidOperationException("Mnist.ML.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static float[] MnistPixels(int count)
    {
        string file = Path.Combine(Environment.GetEnvironmentVariable("MNIST_DATA") ?? Path.Combine(Root, "data", "mnist"), "t10k-images-idx3-ubyte");
        if (!File.Exists(file)) throw new InvalidOperationException($"{file} not found: run scripts/fetch-mnist.sh.");
        using var stream = File.OpenRead(file);
        var bytes = new byte[16 + count * 784];
        stream.ReadExactly(bytes);
        return bytes.Skip(16).Select(b => b / 255f).ToArray();
    }

    public static byte[] MnistPng() => PngEncoder.EncodeGray8(MnistPixels(1).Select(v => (byte)MathF.Round(v * 255f)).ToArray(), 28, 28);

    /// <summary>Digit 0 upscaled to 1000x1000, dark ink on unevenly lit paper with noise, JPEG quality 85 (made by PIL).</summary>
    public static byte[] PhotoJpeg()
    {
        string path = Path.Combine(Path.GetTempPath(), "mnist-ml-bench-photo.jpg");
        const string script = """
            import sys, numpy as np
            from PIL import Image, ImageFilter
            mnist = sys.argv[1]
            d = np.fromfile(mnist, np.uint8, offset=16, count=784).reshape(28, 28)
            ink = np.asarray(Image.fromarray(d).resize((1000, 1000), Image.BICUBIC), np.float32)[..., None] / 255 * 0.9
            y, x = np.mgrid[0:1000, 0:1000] / 1000
            light = (215 + 25 * x - 15 * y)[..., None] * np.array([1, 0.98, 0.94])
            rgb = light * (1 - ink) + np.array([40, 40, 50]) * ink + np.random.default_rng(1).normal(0, 5, (1000, 1000, 3))
            Image.fromarray(rgb.clip(0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1)).save(sys.argv[2], quality=85)
            """;
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true };
        foreach (string a in new[] { "-c", script, Path.Combine(Root, "data", "mnist", "t10k-images-idx3-ubyte"), path }) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException("Making the benchmark JPEG needs /usr/bin/python3 with PIL and numpy:\n" + error);
        return File.ReadAllBytes(path);
    }
}

/// <summary>The soak run: predictions of the 28x28 PNG from several threads; prints throughput and memory.</summary>
internal static class PredictorSoak
{
    public static void Run(int predictions, int threads)
    {
        var predictor = MnistPredictor.Load();
        byte[] png = PredictorInputs.MnistPng();
        int expected = predictor.Predict(png).Digit;
        for (int i = 0; i < 1000; i++) predictor.Predict(png); // warm up: JIT, plan cache
        Report("before", null);
        var clock = Stopwatch.StartNew();
        int wrong = 0;
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            for (int i = t; i < predictions; i += threads)
            {
                if (predictor.Predict(png).Digit != expected) Interlocked.Increment(ref wrong);
            }
        });
        clock.Stop();
        Report("after", clock.Elapsed);
        Console.WriteLine($"{predictions:N0} predictions from {threads} threads in {clock.Elapsed.TotalSeconds:F1} s: {predictions / clock.Elapsed.TotalSeconds:F0}/s, {wrong} differing from the first");
        if (wrong != 0) Environment.ExitCode = 1;
    }

    private static void Report(string when, TimeSpan? elapsed)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"{when,-6}: working set {process.WorkingSet64 / 1048576.0,7:F1} MiB, managed heap {GC.GetTotalMemory(false) / 1048576.0,6:F1} MiB, allocated so far {GC.GetTotalAllocatedBytes() / 1048576.0,9:F1} MiB, gen2 GCs {GC.CollectionCount(2)}");
    }
}

// Entry point: `dotnet run -c Release -- --filter '*'` runs BenchmarkDotNet; `-- quick [gemm|conv|pool]` runs a short
// Stopwatch pass over the same cases (a sanity check while tuning, not a published figure); `-- soak [n] [threads]`
// runs n predictions (default 100,000) from 2 threads with the shipped model and reports memory (PredictorBenchmarks.cs).
using System.Diagnostics;
using BenchmarkDotNet.Running;
using Mnist.ML.Benchmarks;
using Mnist.ML.Kernels;

if (args.Length > 0 && args[0] == "soak")
{
    PredictorSoak.Run(args.Length > 1 ? int.Parse(args[1]) : 100_000, args.Length > 2 ? int.Parse(args[2]) : 2);
    return;
}
if (args.Length > 0 && args[0] == "split-cost")
{
    SplitCost();
    return;
}
if (args.Length > 0 && args[0] == "quick")
{
    QuickRun(args.Length > 1 ? args[1] : "all");
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(GemmBenchmarks).Assembly).Run(args);

static void QuickRun(string what)
{
    foreach (int threads in new[] { 1, 2 })
    {
        KernelOptions.MaxThreads = threads;
        if (what is "all" or "gemm")
        {
            foreach (int size in new[] { 64, 128, 256, 512, 1024 })
            {
                var bench = new GemmBenchmarks { Size = size, Threads = threads };
                bench.Setup();
                double ns = Time(bench.Multiply);
                double nsT = Time(bench.MultiplyTransposeB);
                Console.WriteLine($"gemm {size,5} threads {threads}: {ns / 1000,9:F1} us {bench.Flops / ns,6:F1} GFLOP/s   transB {bench.Flops / nsT,6:F1} GFLOP/s");
            }
        }
        if (what is "all" or "conv")
        {
            foreach (string shape in ConvBenchmarks.Shapes)
                foreach (int batch in new[] { 1, 128 })
                {
                    var bench = new ConvBenchmarks { Shape = shape, Batch = batch, Threads = threads };
                    bench.Setup();
                    double f = Time(bench.Forward), b = Time(bench.Backward);
                    Console.WriteLine($"conv {shape,-10} N={batch,3} threads {threads}: forward {f / 1000,9:F1} us {bench.Flops / f,6:F1} GFLOP/s  backward {b / 1000,9:F1} us {2 * bench.Flops / b,6:F1} GFLOP/s");
                }
        }
        if (what == "parts" && threads == 1) ConvParts();
        if (what is "all" or "pool")
        {
            foreach (int batch in new[] { 1, 128 })
            {
                var bench = new PoolBenchmarks { Batch = batch };
                bench.Setup();
                Console.WriteLine($"maxpool 2x2 32x28x28 N={batch,3}: forward {Time(bench.MaxForward) / 1000,9:F1} us  backward {Time(bench.MaxBackward) / 1000,9:F1} us");
            }
        }
    }
}

// What splitting over 2 threads costs in total CPU (both threads, process CPU time) against the
// 1-thread run: on a machine too busy for 2-thread wall-clock timings, this at least shows whether
// the split duplicates work. Wall-clock speed-up still has to be measured on a quiet machine.
static void SplitCost()
{
    var process = System.Diagnostics.Process.GetCurrentProcess();
    double CpuPerCall(Action action)
    {
        for (int i = 0; i < 20; i++) action();
        process.Refresh();
        var start = process.TotalProcessorTime;
        int calls = 0;
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < 1500) { action(); calls++; }
        process.Refresh();
        return (process.TotalProcessorTime - start).TotalNanoseconds / calls;
    }
    foreach (int threads in new[] { 1, 2 })
    {
        KernelOptions.MaxThreads = threads;
        foreach (string shape in new[] { "cnn3-c2", "cnn3-c3" })
            foreach (int batch in new[] { 1, 128 })
            {
                var bench = new ConvBenchmarks { Shape = shape, Batch = batch, Threads = threads };
                bench.Setup();
                Console.WriteLine($"conv {shape} N={batch,3} threads {threads}: forward {CpuPerCall(bench.Forward) / 1000,9:F1} us CPU  backward {CpuPerCall(bench.Backward) / 1000,9:F1} us CPU");
            }
        var gemm = new GemmBenchmarks { Size = 512, Threads = threads };
        gemm.Setup();
        Console.WriteLine($"gemm 512 threads {threads}: {CpuPerCall(gemm.Multiply) / 1000,9:F1} us CPU");
    }
}

// Where batch-1 forward time goes: packing the weights, packing im2col panels, the GEMM proper.
static unsafe void ConvParts()
{
    foreach (var (shape, g) in BenchData.ConvShapes)
    {
        int ckk = g.C * g.KH * g.KW, ohw = g.OH * g.OW;
        var random = new Random(1);
        float[] x = BenchData.Random(random, g.InputLength), w = BenchData.Random(random, g.WeightLength);
        float[] packedW = new float[Gemm.PackedALength(g.K, ckk) + 64], packedB = new float[(ckk + 16) * (ohw + 16) * 2];
        float[] col = BenchData.Random(random, ckk * ohw), y = new float[g.K * ohw];
        double tw = Time(() =>
        {
            fixed (float* pw = w, pp = packedW) Gemm.PackAll(new StridedPackA(pw, ckk, 1), pp, g.K, ckk);
        });
        double tb = Time(() =>
        {
            fixed (float* px = x, pb = packedB)
            {
                var pack = new Conv2dKernel.Im2ColPackB(Conv2dKernel.Im2ColSource.For(px, g, 1));
                for (int p0 = 0; p0 < ckk; p0 += 256) pack.Pack(pb, p0, Math.Min(256, ckk - p0), 0, ohw);
            }
        });
        double tg = Time(() => Gemm.Multiply(w, col, y, g.K, ohw, ckk, false, false, false, 1, GemmPath.Auto));
        double tf = Time(() => Conv2dKernel.Forward(x, w, [], y, g, 1));
        Console.WriteLine($"{shape,-10} pack weights {tw / 1000,7:F1} us  pack im2col {tb / 1000,7:F1} us  gemm(explicit col) {tg / 1000,7:F1} us  forward {tf / 1000,7:F1} us");
    }
}

// Best of several ~50 ms batches: on a shared machine the minimum is the least noisy estimate.
// With one thread, on Linux, the calling thread's CPU time is used, which other processes
// competing for the cores do not inflate (MNIST_BENCH_WALL=1 forces wall-clock time).
static double Time(Action action)
{
    if (KernelOptions.MaxThreads == 1 && OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("MNIST_BENCH_WALL") != "1")
    {
        return ThreadCpu.Time(action);
    }
    action();
    int reps = 1;
    var sw = Stopwatch.StartNew();
    while (sw.ElapsedMilliseconds < 20) { action(); reps++; }
    reps = Math.Max(1, (int)(reps * 50.0 / Math.Max(1, sw.ElapsedMilliseconds)));
    double best = double.MaxValue;
    for (int round = 0; round < 7; round++)
    {
        sw.Restart();
        for (int i = 0; i < reps; i++) action();
        best = Math.Min(best, sw.Elapsed.TotalNanoseconds / reps);
    }
    return best;
}

internal static class ThreadCpu
{
    private const int ClockThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    private static double NowNs()
    {
        ClockGetTime(ClockThreadCpuTime, out var t);
        return t.Seconds * 1e9 + t.Nanoseconds;
    }

    public static double Time(Action action)
    {
        for (int i = 0; i < 3; i++) action();
        int reps = 1;
        double start = NowNs();
        while (NowNs() - start < 20e6) { action(); reps++; }
        reps = Math.Max(1, (int)(reps * 50e6 / (NowNs() - start)));
        double best = double.MaxValue;
        for (int round = 0; round < 7; round++)
        {
            start = NowNs();
            for (int i = 0; i < reps; i++) action();
            best = Math.Min(best, (NowNs() - start) / reps);
        }
        return best;
    }
}

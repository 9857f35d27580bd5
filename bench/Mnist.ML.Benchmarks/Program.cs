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

// Best of several ~50 ms batches: on a shared machine the minimum is the least noisy estimate.
static double Time(Action action)
{
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

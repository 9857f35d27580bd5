// Benchmark configuration: a short in-process job (the machine is shared, runs are long enough to be
// stable but short enough to finish), optionally timed by thread CPU time, and a GFLOP/s column
// computed from each benchmark's Flops.
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace Mnist.ML.Benchmarks;

public sealed class KernelConfig : ManualConfig
{
    public KernelConfig()
    {
        Job job = Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance);
        if (Environment.GetEnvironmentVariable("MNIST_BENCH_CLOCK") == "thread-cpu")
        {
            // On a machine shared with other builds, wall time measures the neighbours; the
            // benchmark thread's own CPU time does not. Meaningful for 1-thread rows only.
            job = job.WithClock(new ThreadCpuClock());
        }
        AddJob(job);
        AddColumn(new GflopsColumn());
    }

    /// <summary>$MNIST_BENCH_THREADS (e.g. "1") restricts the thread counts benchmarked; default 1 and 2.</summary>
    public static IEnumerable<int> ThreadCounts()
    {
        string? text = Environment.GetEnvironmentVariable("MNIST_BENCH_THREADS");
        return string.IsNullOrEmpty(text) ? [1, 2] : text.Split(',').Select(int.Parse);
    }
}

/// <summary>CLOCK_THREAD_CPUTIME_ID: the CPU time of the calling thread, in nanoseconds (Linux).</summary>
public sealed class ThreadCpuClock : IClock
{
    public string Title => "Thread CPU time";
    public bool IsAvailable => OperatingSystem.IsLinux();
    public Frequency Frequency => Frequency.GHz;

    public long GetTimestamp()
    {
        ClockGetTime(3, out TimeSpec t);
        return t.Seconds * 1_000_000_000 + t.Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }
}

/// <summary>GFLOP/s = the benchmark's Flops property / mean time. Blank where a suite has no Flops.</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Floating-point operations per second (2 per multiply-add), in billions; backward counts twice the forward's work (dWeight and dInput GEMMs)";
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics == null) return "-";
        var instance = Activator.CreateInstance(benchmarkCase.Descriptor.Type);
        var flopsProperty = benchmarkCase.Descriptor.Type.GetProperty("Flops");
        if (instance == null || flopsProperty == null) return "-";
        foreach (var parameter in benchmarkCase.Parameters.Items)
        {
            benchmarkCase.Descriptor.Type.GetProperty(parameter.Name)?.SetValue(instance, parameter.Value);
        }
        benchmarkCase.Descriptor.Type.GetMethod("Setup")?.Invoke(instance, null);
        double flops = (double)flopsProperty.GetValue(instance)!;
        if (benchmarkCase.Descriptor.WorkloadMethod.Name == "Backward") flops *= 2;
        return (flops / report.ResultStatistics.Mean).ToString("F1"); // flops per ns = GFLOP/s
    }
}

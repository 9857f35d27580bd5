// Benchmark configuration: a short in-process job (the machine is shared, runs are long enough to be
// stable but short enough to finish) and a GFLOP/s column computed from each benchmark's Flops.
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Mnist.ML.Benchmarks;

public sealed class KernelConfig : ManualConfig
{
    public KernelConfig()
    {
        AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
        AddColumn(new GflopsColumn());
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

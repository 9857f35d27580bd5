// BenchmarkDotNet suites for the kernels under src/Mnist.ML/Kernels: GEMM at square sizes and the
// convolutions of the lenet5 and cnn3 models, at 1 and 2 threads (KernelOptions.MaxThreads).
using BenchmarkDotNet.Attributes;
using Mnist.ML.Kernels;

namespace Mnist.ML.Benchmarks;

[Config(typeof(KernelConfig))]
public class GemmBenchmarks
{
    private float[] a = [], b = [], c = [];

    [Params(64, 128, 256, 512, 1024)]
    public int Size { get; set; }

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    public static IEnumerable<int> ThreadCounts => KernelConfig.ThreadCounts();

    /// <summary>Read by <see cref="GflopsColumn"/>: 2 * M * N * K.</summary>
    public double Flops => 2.0 * Size * Size * Size;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        a = BenchData.Random(random, Size * Size);
        b = BenchData.Random(random, Size * Size);
        c = new float[Size * Size];
        KernelOptions.MaxThreads = Threads;
    }

    [Benchmark]
    public void Multiply() => Gemm.Multiply(a, b, c, Size, Size, Size);

    [Benchmark]
    public void MultiplyTransposeB() => Gemm.Multiply(a, b, c, Size, Size, Size, transposeB: true);
}

[Config(typeof(KernelConfig))]
public class ConvBenchmarks
{
    private float[] input = [], weight = [], bias = [], output = [], dInput = [], dWeight = [], dBias = [];
    private ConvGeometry g;

    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "";

    public static IEnumerable<string> Shapes => BenchData.ConvShapes.Keys;

    [Params(1, 128)]
    public int Batch { get; set; }

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    public static IEnumerable<int> ThreadCounts => KernelConfig.ThreadCounts();

    /// <summary>Read by <see cref="GflopsColumn"/>: 2 * multiply-adds of one forward pass.</summary>
    public double Flops => 2.0 * g.N * g.K * g.OH * g.OW * g.C * g.KH * g.KW;

    [GlobalSetup]
    public void Setup()
    {
        g = BenchData.ConvShapes[Shape] with { N = Batch };
        var random = new Random(2);
        input = BenchData.Random(random, g.InputLength);
        weight = BenchData.Random(random, g.WeightLength);
        bias = BenchData.Random(random, g.K);
        output = new float[g.OutputLength];
        dInput = new float[g.InputLength];
        dWeight = new float[g.WeightLength];
        dBias = new float[g.K];
        KernelOptions.MaxThreads = Threads;
    }

    [Benchmark]
    public void Forward() => Conv2dKernel.Forward(input, weight, bias, output, g);

    /// <summary>All three gradients; backward costs two GEMMs of the forward's size.</summary>
    [Benchmark]
    public void Backward() => Conv2dKernel.Backward(input, weight, output, dInput, dWeight, dBias, g);
}

[Config(typeof(KernelConfig))]
public class PoolBenchmarks
{
    private float[] input = [], output = [], dInput = [];
    private int[] argmax = [];
    private ConvGeometry g;

    [Params(1, 128)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // cnn3's first pool: 32 channels of 28x28 -> 14x14.
        g = new ConvGeometry(Batch, 32, 28, 28, 32, 2, 2, StrideH: 2, StrideW: 2);
        var random = new Random(3);
        input = BenchData.Random(random, g.InputLength);
        output = new float[g.OutputLength];
        argmax = new int[g.OutputLength];
        dInput = new float[g.InputLength];
    }

    [Benchmark]
    public void MaxForward() => Pool2dKernel.MaxForward(input, output, argmax, g);

    [Benchmark]
    public void MaxBackward() => Pool2dKernel.MaxBackward(output, argmax, dInput);
}

internal static class BenchData
{
    /// <summary>The conv layers of the lenet5 and cnn3 models (N set per benchmark).</summary>
    public static readonly Dictionary<string, ConvGeometry> ConvShapes = new()
    {
        ["lenet5-c1"] = new(1, 1, 28, 28, 6, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2),
        ["lenet5-c2"] = new(1, 6, 14, 14, 16, 5, 5),
        ["cnn3-c1"] = new(1, 1, 28, 28, 32, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        ["cnn3-c2"] = new(1, 32, 14, 14, 64, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        ["cnn3-c3"] = new(1, 64, 7, 7, 128, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
    };

    public static float[] Random(Random random, int length)
    {
        var array = new float[length];
        for (int i = 0; i < length; i++) array[i] = (float)(random.NextDouble() * 2 - 1);
        return array;
    }
}

// The cases and comparisons that prove the fast kernels against their naive oracles. Shared by the
// MSTest classes and by tests/Mnist.ML.KernelCheck, which reruns them with hardware intrinsics off.
using Mnist.ML.Kernels;

namespace Mnist.ML.Tests.Kernels;

internal static class KernelCases
{
    /// <summary>GEMM sizes (m, n, k): every length 0..260 in each dimension (all SIMD and panel
    /// remainders), cubes 0..70, a small grid of panel edges, and sizes crossing the KC/MC/NC blocks.</summary>
    public static IEnumerable<(int M, int N, int K)> GemmSizes()
    {
        for (int l = 0; l <= 260; l++)
        {
            yield return (l, 13, 9);
            yield return (5, l, 21);
            yield return (11, 17, l);
        }
        for (int l = 0; l <= 70; l++) yield return (l, l, l);
        int[] edges = [0, 1, 5, 6, 7, 15, 16, 17];
        foreach (int m in edges)
            foreach (int n in edges)
                foreach (int k in edges)
                {
                    yield return (m, n, k);
                }
        // Depths around the K slicing (Gemm.SliceDepth: one slice up to 320, then equal slices).
        foreach (int k in new[] { 319, 320, 321, 576, 641, 961 }) yield return (13, 40, k);
        foreach (var size in GemmLargeSizes()) yield return size;
    }

    /// <summary>Sizes above Gemm.ParallelThreshold that cross the K slices (Gemm.SliceDepth), M (96) and N (2048) blocks,
    /// split by rows and by columns when two threads are allowed.</summary>
    public static IEnumerable<(int M, int N, int K)> GemmLargeSizes()
    {
        yield return (97, 130, 300);
        yield return (200, 35, 320);
        yield return (9, 2100, 120);
        yield return (130, 131, 129);
        yield return (301, 7, 1100);
        yield return (2, 8200, 130);
    }

    /// <summary>Runs the fast GEMM and the naive one on the same random data; null when they agree.</summary>
    public static string? CheckGemm(int m, int n, int k, bool transposeA, bool transposeB, bool accumulate, GemmPath path, int threads)
    {
        var random = new Random(m * 1_000_003 + n * 1009 + k);
        float[] a = RandomArray(random, m * k);
        float[] b = RandomArray(random, k * n);
        float[] expected = RandomArray(random, m * n);
        float[] actual = (float[])expected.Clone();
        Gemm.MultiplyNaive(a, b, expected, m, n, k, transposeA, transposeB, accumulate);
        Gemm.Multiply(a, b, actual, m, n, k, transposeA, transposeB, accumulate, threads, path);
        return Compare($"gemm m={m} n={n} k={k} tA={transposeA} tB={transposeB} acc={accumulate} path={path} threads={threads}",
            expected, actual, depth: k);
    }

    /// <summary>Convolution geometries: strides 1/2/3, symmetric and asymmetric pads, dilation 2,
    /// 1x1 (with and without the stride-1 shortcut), rectangular kernels, odd C and K, batch 1..4,
    /// and the LeNet-5 / cnn3 layer shapes.</summary>
    public static IEnumerable<ConvGeometry> ConvGeometries()
    {
        yield return new(1, 1, 5, 5, 1, 3, 3);
        yield return new(2, 1, 12, 12, 6, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2);
        yield return new(3, 3, 9, 8, 5, 3, 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        yield return new(1, 2, 7, 9, 3, 3, 2, StrideH: 1, StrideW: 2, PadTop: 0, PadLeft: 1, PadBottom: 2, PadRight: 0);
        yield return new(3, 3, 10, 11, 4, 3, 3, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2, DilationH: 2, DilationW: 2);
        yield return new(3, 5, 6, 7, 7, 1, 1);
        yield return new(1, 4, 6, 6, 3, 1, 1, StrideH: 2, StrideW: 2);
        yield return new(2, 3, 4, 5, 2, 1, 1, PadTop: 1, PadLeft: 0, PadBottom: 0, PadRight: 1);
        yield return new(3, 7, 8, 8, 13, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        yield return new(1, 2, 3, 3, 2, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2);
        yield return new(1, 3, 8, 10, 4, 2, 4, StrideH: 2, StrideW: 1, PadTop: 0, PadLeft: 1, PadBottom: 1, PadRight: 2);
        yield return new(2, 2, 11, 10, 3, 3, 3, StrideH: 3, StrideW: 3);
        yield return new(3, 1, 28, 28, 6, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2); // lenet5 conv1
        yield return new(3, 6, 14, 14, 16, 5, 5);                                                   // lenet5 conv2
        yield return new(1, 1, 28, 28, 32, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1); // cnn3 conv1
        yield return new(2, 32, 14, 14, 64, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1); // cnn3 conv2
        yield return new(1, 64, 7, 7, 128, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1); // cnn3 conv3
        yield return new(4, 9, 5, 5, 11, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        // Batches that run as image groups (Conv2dKernel.GroupSize): whole groups and a remainder,
        // a 16-wide panel straddling two images, strided planes.
        yield return new(19, 64, 7, 7, 128, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1); // cnn3 conv3: 16 + 3
        yield return new(7, 32, 14, 14, 64, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1); // cnn3 conv2: 4 + 3
        yield return new(10, 3, 9, 8, 5, 3, 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        yield return new(45, 2, 6, 6, 3, 2, 2, StrideH: 1, StrideW: 1);
    }

    public static string? CheckConvForward(ConvGeometry g, bool withBias, int threads)
    {
        var random = new Random(g.GetHashCode());
        float[] input = RandomArray(random, g.InputLength);
        float[] weight = RandomArray(random, g.WeightLength);
        float[] bias = withBias ? RandomArray(random, g.K) : [];
        float[] expected = new float[g.OutputLength];
        float[] actual = RandomArray(random, g.OutputLength); // stale values must be overwritten
        Conv2dKernel.ForwardNaive(input, weight, bias, expected, g);
        Conv2dKernel.Forward(input, weight, bias, actual, g, threads);
        return Compare($"conv forward {g} bias={withBias} threads={threads}", expected, actual, depth: g.C * g.KH * g.KW);
    }

    /// <summary>Backward must add into gradients that already hold values, and skip the empty ones.</summary>
    public static string? CheckConvBackward(ConvGeometry g, bool withDInput, bool withDBias, int threads)
    {
        var random = new Random(g.GetHashCode() + 7);
        float[] input = RandomArray(random, g.InputLength);
        float[] weight = RandomArray(random, g.WeightLength);
        float[] dOutput = RandomArray(random, g.OutputLength);
        float[] dInputExpected = withDInput ? RandomArray(random, g.InputLength) : [];
        float[] dWeightExpected = RandomArray(random, g.WeightLength);
        float[] dBiasExpected = withDBias ? RandomArray(random, g.K) : [];
        float[] dInputActual = (float[])dInputExpected.Clone();
        float[] dWeightActual = (float[])dWeightExpected.Clone();
        float[] dBiasActual = (float[])dBiasExpected.Clone();
        Conv2dKernel.BackwardNaive(input, weight, dOutput, dInputExpected, dWeightExpected, dBiasExpected, g);
        Conv2dKernel.Backward(input, weight, dOutput, dInputActual, dWeightActual, dBiasActual, g, threads);
        string name = $"conv backward {g} dInput={withDInput} dBias={withDBias} threads={threads}";
        return Compare(name + " dInput", dInputExpected, dInputActual, depth: g.K * g.KH * g.KW)
            ?? Compare(name + " dWeight", dWeightExpected, dWeightActual, depth: g.N * g.OH * g.OW)
            ?? Compare(name + " dBias", dBiasExpected, dBiasActual, depth: g.N * g.OH * g.OW);
    }

    public static float[] RandomArray(Random random, int length)
    {
        var array = new float[length];
        for (int i = 0; i < length; i++) array[i] = (float)(random.NextDouble() * 2 - 1);
        return array;
    }

    /// <summary>
    /// Relative + absolute tolerance. Inputs are uniform in [-1, 1], so a sum of <paramref name="depth"/>
    /// products can legitimately differ by a few ulps per term between summation orders (FMA vs
    /// multiply-then-add, blocked vs sequential); an indexing bug differs by O(1).
    /// </summary>
    public static string? Compare(string name, float[] expected, float[] actual, int depth)
    {
        if (expected.Length != actual.Length) return $"{name}: length {actual.Length}, expected {expected.Length}";
        double absTol = 2e-6 * (depth + 1), relTol = 1e-5;
        double worst = 0;
        int worstIndex = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs((double)expected[i] - actual[i]);
            double ratio = diff / (absTol + relTol * Math.Abs(expected[i]));
            if (double.IsNaN(ratio)) return $"{name}: at [{i}] got {actual[i]}, expected {expected[i]}";
            if (ratio > worst) { worst = ratio; worstIndex = i; }
        }
        return worst <= 1 ? null
            : $"{name}: at [{worstIndex}] got {actual[worstIndex]}, expected {expected[worstIndex]} (|diff| {Math.Abs(expected[worstIndex] - actual[worstIndex]):g3}, tolerance {absTol + relTol * Math.Abs(expected[worstIndex]):g3})";
    }
}

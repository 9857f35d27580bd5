// Fast GEMM against the naive triple loop over every panel remainder, transpose combination,
// accumulate mode, micro-kernel this CPU can run, and 1 or 2 threads.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Mnist.ML.Kernels;

namespace Mnist.ML.Tests.Kernels;

[TestClass]
public sealed class GemmTests
{
    public static IEnumerable<object[]> Combinations()
    {
        foreach (GemmPath path in SupportedPaths())
            for (int flags = 0; flags < 8; flags++)
            {
                yield return [path.ToString(), (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0];
            }
    }

    [TestMethod]
    [DynamicData(nameof(Combinations))]
    public void MultiplyMatchesNaiveOverAllRemainders(string path, bool transposeA, bool transposeB, bool accumulate)
    {
        var kernel = Enum.Parse<GemmPath>(path);
        var failures = new List<string>();
        foreach (var (m, n, k) in KernelCases.GemmSizes())
        {
            string? failure = KernelCases.CheckGemm(m, n, k, transposeA, transposeB, accumulate, kernel, threads: 1);
            if (failure != null) failures.Add(failure);
        }
        Assert.IsEmpty(failures, string.Join(Environment.NewLine, failures.Take(10)));
    }

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(true, false)]
    [DataRow(false, true)]
    [DataRow(true, true)]
    public void MultiplyOnTwoThreadsMatchesNaive(bool transposeA, bool transposeB)
    {
        var failures = new List<string>();
        foreach (var (m, n, k) in KernelCases.GemmLargeSizes())
        {
            Assert.IsGreaterThanOrEqualTo(Gemm.ParallelThreshold, (long)m * n * k, $"{m}x{n}x{k} would not be split over threads");
            foreach (bool accumulate in new[] { false, true })
            {
                string? failure = KernelCases.CheckGemm(m, n, k, transposeA, transposeB, accumulate, GemmPath.Auto, threads: 2);
                if (failure != null) failures.Add(failure);
            }
        }
        Assert.IsEmpty(failures, string.Join(Environment.NewLine, failures.Take(10)));
    }

    [TestMethod]
    [DataRow(false, false)]
    [DataRow(false, true)]
    [DataRow(true, false)]
    [DataRow(true, true)]
    public void LargeVectorMatrixProductsSplitOverThreadsMatchNaive(bool transposeA, bool transposeB)
    {
        // Batch-1 fully connected layers: one row (or column) times a matrix big enough that the
        // outputs are split between threads (Gemm.VectorParallelThreshold), dots and axpys alike.
        var failures = new List<string>();
        foreach (var (m, n, k) in new[] { (1, 300, 1100), (1, 129, 1100), (700, 1, 200), (1, 2000, 70) })
        {
            Assert.IsGreaterThanOrEqualTo(Gemm.VectorParallelThreshold, (long)Math.Max(m, n) * k, $"{m}x{n}x{k} would not be split");
            foreach (bool accumulate in new[] { false, true })
            {
                string? failure = KernelCases.CheckGemm(m, n, k, transposeA, transposeB, accumulate, GemmPath.Auto, threads: 2);
                if (failure != null) failures.Add(failure);
            }
        }
        Assert.IsEmpty(failures, string.Join(Environment.NewLine, failures));
    }

    [TestMethod]
    public void PublicOverloadUsesTheFastPathAndMatchesNaive()
    {
        var random = new Random(5);
        float[] a = KernelCases.RandomArray(random, 37 * 53), b = KernelCases.RandomArray(random, 53 * 41);
        float[] expected = new float[37 * 41], actual = new float[37 * 41];
        Gemm.MultiplyNaive(a, b, expected, 37, 41, 53, transposeA: true);
        Gemm.Multiply(a, b, actual, 37, 41, 53, transposeA: true);
        Assert.IsNull(KernelCases.Compare("gemm public", expected, actual, 53));
    }

    [TestMethod]
    public void ThreadCountFollowsTheWorkAndTheCap()
    {
        Assert.AreEqual(1, Gemm.ThreadsForWork(Gemm.ParallelThreshold - 1, 64));
        Assert.AreEqual(2, Gemm.ThreadsForWork(Gemm.ParallelThreshold, 2));
        Assert.AreEqual(1, Gemm.ThreadsForWork(Gemm.ParallelThreshold * 100, 1));
        Assert.AreEqual(3, Gemm.ThreadsForWork(128L * 49 * 576, 64)); // cnn3 conv3 at batch 1 on a big machine
        Assert.AreEqual(64, Gemm.ThreadsForWork(1024L * 1024 * 1024, 64));
    }

    [TestMethod]
    public void ZeroDepthClearsOrKeepsC()
    {
        float[] c = [1f, 2f, 3f, 4f, 5f, 6f];
        Gemm.Multiply([], [], c, 2, 3, 0, accumulate: true);
        CollectionAssert.AreEqual(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, c);
        Gemm.Multiply([], [], c, 2, 3, 0);
        CollectionAssert.AreEqual(new float[6], c);
    }

    [TestMethod]
    public void ShortBuffersAreRejected()
    {
        Assert.ThrowsExactly<ArgumentException>(() => Gemm.Multiply(new float[5], new float[6], new float[4], 2, 2, 3));
        Assert.ThrowsExactly<ArgumentException>(() => Gemm.Multiply(new float[6], new float[6], new float[3], 2, 2, 3));
    }

    private static IEnumerable<GemmPath> SupportedPaths()
    {
        yield return GemmPath.Scalar;
        if (Vector128.IsHardwareAccelerated) yield return GemmPath.Vector128;
        if (Avx2.IsSupported && Fma.IsSupported) yield return GemmPath.Avx2;
    }
}

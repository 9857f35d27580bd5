// Steady-state kernel calls on one thread must not allocate: batch-1 inference calls them per
// request, and per-call garbage would show up as GC pauses in the server's latency.
using Mnist.ML.Kernels;

namespace Mnist.ML.Tests.Kernels;

[TestClass]
public sealed class KernelAllocationTests
{
    [TestMethod]
    public void SingleThreadedCallsAllocateNothingOnceWarm()
    {
        var random = new Random(9);
        var g = new ConvGeometry(2, 32, 14, 14, 64, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        float[] input = KernelCases.RandomArray(random, g.InputLength), weight = KernelCases.RandomArray(random, g.WeightLength);
        float[] bias = KernelCases.RandomArray(random, g.K), output = new float[g.OutputLength];
        float[] dInput = new float[g.InputLength], dWeight = new float[g.WeightLength], dBias = new float[g.K];
        float[] a = KernelCases.RandomArray(random, 70 * 90), b = KernelCases.RandomArray(random, 90 * 110), c = new float[70 * 110];
        var pool = new ConvGeometry(2, 64, 14, 14, 64, 2, 2, StrideH: 2, StrideW: 2);
        float[] pooled = new float[pool.N * pool.C * pool.OH * pool.OW];
        int[] argmax = new int[pooled.Length];
        float[] dPoolInput = new float[output.Length];
        var first = new ConvGeometry(1, 1, 28, 28, 6, 5, 5, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2); // direct path
        float[] firstInput = KernelCases.RandomArray(random, first.InputLength), firstWeight = KernelCases.RandomArray(random, first.WeightLength);
        float[] firstOutput = new float[first.OutputLength];
        ConvWeights packedFirst = Conv2dKernel.PackWeights(firstWeight, first), packed = Conv2dKernel.PackWeights(weight, g);

        void Calls()
        {
            Gemm.Multiply(a, b, c, 70, 110, 90, false, true, false, maxThreads: 1, GemmPath.Auto);
            Gemm.Multiply(a, b, c, 1, 110, 90, false, false, false, maxThreads: 1, GemmPath.Auto);
            Conv2dKernel.Forward(input, weight, bias, output, g, maxThreads: 1);
            Conv2dKernel.Forward(input, packed, bias, output, g, relu: true, maxThreads: 1);
            Conv2dKernel.Forward(firstInput, firstWeight, bias.AsSpan(0, 6), firstOutput, first, maxThreads: 1);
            Conv2dKernel.Forward(firstInput, packedFirst, bias.AsSpan(0, 6), firstOutput, first, relu: true, maxThreads: 1);
            Conv2dKernel.Backward(input, weight, output, dInput, dWeight, dBias, g, maxThreads: 1);
            Pool2dKernel.MaxForward(output, pooled, argmax, pool);
            Pool2dKernel.MaxBackward(pooled, argmax, dPoolInput);
            if (Conv2dKernel.CanFuseMaxPool(g)) Conv2dKernel.ForwardMaxPooled(input, packed, bias, pooled, g, relu: true, maxThreads: 1);
        }

        Calls(); // grows this thread's scratch buffers
        // The least of three rounds: a per-call allocation shows in every round, while the runtime's own
        // one-off work on this thread (a method moving to its optimised tier mid-round) shows in one.
        long allocated = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 3; i++) Calls();
            allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.AreEqual(0L, allocated, "bytes allocated by warm single-threaded kernel calls");
    }

    /// <summary>
    /// Threaded calls (a GEMM split across threads, as cnn3's conv2/conv3 at batch 1; a batch split
    /// across threads, forward and backward) reuse their per-thread parts instead of Parallel.For's ~2 KB per call. A pool
    /// thread that picks up its part late makes the next call take a fresh ~200 B job, so the bound
    /// is an average, not zero.
    /// </summary>
    [TestMethod]
    public void ThreadedCallsAllocateAlmostNothingOnceWarm()
    {
        var random = new Random(11);
        var g = new ConvGeometry(1, 64, 7, 7, 128, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        var batch = g with { N = 4, C = 32, H = 14, W = 14, K = 64 };
        float[] input = KernelCases.RandomArray(random, batch.InputLength), weight = KernelCases.RandomArray(random, g.WeightLength);
        float[] bias = KernelCases.RandomArray(random, g.K), output = new float[batch.OutputLength];
        float[] dInput = new float[batch.InputLength], dWeight = new float[batch.WeightLength], dBias = new float[batch.K];
        ConvWeights packed = Conv2dKernel.PackWeights(weight, g), packedBatch = Conv2dKernel.PackWeights(weight, batch);
        float[] a = KernelCases.RandomArray(random, 200 * 200), b = KernelCases.RandomArray(random, 200 * 200), c = new float[200 * 200];
        Assert.IsGreaterThan(1, Gemm.ThreadsForWork(200L * 200 * 200, 2), "the GEMM must be big enough to split");

        void Calls()
        {
            Gemm.Multiply(a, b, c, 200, 200, 200, false, true, false, maxThreads: 2, GemmPath.Auto);
            Conv2dKernel.Forward(input, packed, bias, output, g, relu: true, maxThreads: 2);
            Conv2dKernel.Forward(input, packedBatch, bias.AsSpan(0, 64), output, batch, relu: false, maxThreads: 2);
            Conv2dKernel.Backward(input, weight.AsSpan(0, batch.WeightLength), output, dInput, dWeight, dBias, batch, maxThreads: 2);
        }

        for (int i = 0; i < 3; i++) Calls();
        const int Runs = 20;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Runs; i++) Calls();
        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / (4 * Runs);
        Assert.IsLessThan(256L, perCall, $"{perCall} bytes allocated per threaded kernel call on the calling thread");
    }
}

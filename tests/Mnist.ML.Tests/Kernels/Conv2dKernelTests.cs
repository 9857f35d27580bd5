// Fast convolution (im2col + GEMM, threaded over the batch or inside the GEMM) against the direct
// seven-loop oracle, forward and backward, over strides, pads, dilation, 1x1 and odd channel counts.
using Mnist.ML.Kernels;

namespace Mnist.ML.Tests.Kernels;

[TestClass]
public sealed class Conv2dKernelTests
{
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void ForwardMatchesNaive(int threads)
    {
        var failures = new List<string>();
        foreach (ConvGeometry g in KernelCases.ConvGeometries())
            foreach (bool withBias in new[] { true, false })
            {
                string? failure = KernelCases.CheckConvForward(g, withBias, threads);
                if (failure != null) failures.Add(failure);
            }
        Assert.IsEmpty(failures, string.Join(Environment.NewLine, failures.Take(10)));
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void BackwardAddsTheNaiveGradients(int threads)
    {
        var failures = new List<string>();
        foreach (ConvGeometry g in KernelCases.ConvGeometries())
            foreach (bool withDInput in new[] { true, false })
                foreach (bool withDBias in new[] { true, false })
                {
                    string? failure = KernelCases.CheckConvBackward(g, withDInput, withDBias, threads);
                    if (failure != null) failures.Add(failure);
                }
        Assert.IsEmpty(failures, string.Join(Environment.NewLine, failures.Take(10)));
    }

    [TestMethod]
    public void BatchOfOneUsesTheThreadedGemmAndMatchesNaive()
    {
        // The batch-threaded path is covered by ConvGeometries, which must hold a big enough batch case.
        Assert.IsTrue(KernelCases.ConvGeometries().Any(c => c.N >= 2 && (long)c.N * c.K * c.OH * c.OW * c.C * c.KH * c.KW >= Gemm.ParallelThreshold));
        // Large enough to pass the parallel threshold with N = 1, so the GEMM itself splits.
        var g = new ConvGeometry(1, 64, 7, 7, 128, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
        Assert.IsNull(KernelCases.CheckConvForward(g, withBias: true, threads: 2));
        Assert.IsNull(KernelCases.CheckConvBackward(g, withDInput: true, withDBias: true, threads: 2));
    }

    [TestMethod]
    public void ShortBuffersAreRejected()
    {
        var g = new ConvGeometry(2, 3, 5, 5, 4, 3, 3);
        Assert.ThrowsExactly<ArgumentException>(() => Conv2dKernel.Forward(new float[g.InputLength - 1], new float[g.WeightLength], [], new float[g.OutputLength], g));
        Assert.ThrowsExactly<ArgumentException>(() => Conv2dKernel.Forward(new float[g.InputLength], new float[g.WeightLength], new float[2], new float[g.OutputLength], g));
        Assert.ThrowsExactly<ArgumentException>(() => Conv2dKernel.Backward(new float[g.InputLength], new float[g.WeightLength], new float[g.OutputLength], [], new float[g.WeightLength - 1], [], g));
    }
}

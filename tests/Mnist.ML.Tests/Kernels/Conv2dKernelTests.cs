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

    /// <summary>
    /// The direct kernel (stride 1, shallow receptive field) over every output width 1..40 (all 16-column
    /// block remainders and masked stores), channel counts around its 6-channel block, asymmetric pads.
    /// </summary>
    [TestMethod]
    public void CasesCoverImageGroupsWithARemainderAndPanelsAcrossImages()
    {
        // ForwardMatchesNaive / BackwardAddsTheNaiveGradients prove the grouped GEMMs only if some case
        // runs whole groups plus a shorter last group, with a 16-wide panel straddling two images.
        Assert.IsTrue(KernelCases.ConvGeometries().Any(g =>
        {
            int group = Conv2dKernel.GroupSize(g);
            return Conv2dKernel.MethodFor(g) == ConvMethod.Gemm && group > 1 && g.N > group && g.N % group > 1 && g.OH * g.OW % Gemm.NR != 0;
        }));
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void ChannelDirectPathMatchesNaiveOverStridesPadsDilationsAndRemainders(int threads)
    {
        // Output channels in the lanes: channel counts around the 16-channel blocks, pixel counts
        // around the 6-pixel tiles, strides, dilations, asymmetric pads, batch 1 (blocks split
        // between threads) and batches (images split between threads).
        ConvGeometry[] cases =
        [
            new(1, 4, 9, 11, 16, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
            new(2, 3, 8, 7, 17, 4, 4, PadTop: 2, PadLeft: 0, PadBottom: 1, PadRight: 3),
            new(1, 8, 12, 13, 40, 3, 3, StrideH: 2, StrideW: 2, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
            new(3, 6, 11, 10, 31, 3, 2, StrideH: 1, StrideW: 3, PadTop: 0, PadLeft: 2, PadBottom: 2, PadRight: 0),
            new(2, 6, 10, 10, 48, 3, 3, PadTop: 2, PadLeft: 2, PadBottom: 2, PadRight: 2, DilationH: 2, DilationW: 2),
            new(1, 32, 5, 5, 64, 1, 1),
            new(1, 64, 7, 7, 128, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
            // The shipped model's conv2: one 32-channel block, so two threads split its pixel tiles.
            new(1, 32, 28, 28, 32, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),
        ];
        var failures = new List<string>();
        var widths = new HashSet<int>();
        foreach (var g in cases)
        {
            Assert.AreEqual(ConvMethod.DirectChannels, Conv2dKernel.MethodFor(g), g.ToString());
            widths.Add(Conv2dKernel.ChannelWidth(g));
            foreach (bool bias in new[] { false, true })
            {
                string? failure = KernelCases.CheckConvForward(g, bias, threads);
                if (failure != null) failures.Add(failure);
            }
        }
        Assert.IsEmpty(failures, string.Join(Environment.NewLine, failures));
        // Both register tiles ran: 16 channels (AVX2) and, where the CPU has AVX-512, 32 channels.
        bool avx512 = System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
        CollectionAssert.AreEquivalent(avx512 ? new[] { 16, 32 } : new[] { 16 }, widths.ToArray());
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void ConvolutionFusedWithMaxPoolMatchesConvReluThenPool(int threads)
    {
        if (!Conv2dKernel.CanFuseMaxPool(new ConvGeometry(1, 32, 14, 14, 64, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1)))
            Assert.Inconclusive("The fused conv + max pool kernel needs AVX-512; this CPU runs the unfused steps.");
        ConvGeometry[] cases =
        [
            new(3, 32, 14, 14, 64, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),  // cnn3 conv2: 7x7 windows, an odd window count
            new(2, 64, 7, 7, 128, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),   // cnn3 conv3: the pool drops row and column 7
            new(1, 32, 28, 28, 32, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),  // the shipped model: one block, pairs split
            new(2, 6, 11, 9, 40, 3, 2, StrideH: 1, StrideW: 2, PadTop: 2, PadLeft: 0, PadBottom: 1, PadRight: 1), // a partial block, strides
            new(1, 8, 9, 9, 33, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1, DilationH: 2, DilationW: 2),
            new(3, 1, 28, 28, 32, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1),   // cnn3 conv1: 9 taps (its plain forward is a GEMM)
        ];
        var failures = new List<string>();
        foreach (var g in cases)
        {
            Assert.IsTrue(Conv2dKernel.CanFuseMaxPool(g), g.ToString());
            var random = new Random(g.GetHashCode());
            float[] input = KernelCases.RandomArray(random, g.InputLength), weight = KernelCases.RandomArray(random, g.WeightLength);
            float[] bias = KernelCases.RandomArray(random, g.K);
            float[] conv = new float[g.OutputLength];
            Conv2dKernel.ForwardNaive(input, weight, bias, conv, g);
            var pool = new ConvGeometry(g.N, g.K, g.OH, g.OW, g.K, 2, 2, StrideH: 2, StrideW: 2);
            int pooledLength = g.N * g.K * pool.OH * pool.OW;
            foreach (bool relu in new[] { false, true })
            {
                float[] source = relu ? conv.Select(v => Math.Max(v, 0f)).ToArray() : conv;
                float[] expected = new float[pooledLength], actual = KernelCases.RandomArray(random, pooledLength);
                Pool2dKernel.MaxForwardGeneral(source, expected, [], pool);
                Conv2dKernel.ForwardMaxPooled(input, Conv2dKernel.PackWeights(weight, g, ConvMethod.DirectChannels), bias, actual, g, relu, threads);
                string? failure = KernelCases.Compare($"conv+pool {g} relu={relu} threads={threads}", expected, actual, depth: g.C * g.KH * g.KW);
                if (failure != null) failures.Add(failure);
            }
        }
        Assert.IsEmpty(failures, string.Join(Environment.NewLine, failures));
    }

    [TestMethod]
    public void DirectPathMatchesNaiveOverWidthsAndChannelRemainders()
    {
        var failures = new List<string>();
        int direct = 0;
        for (int w = 1; w <= 40; w++)
            foreach (var (c, k, kh, kw) in new[] { (1, 6, 5, 5), (1, 7, 4, 4), (2, 5, 3, 3), (3, 13, 2, 3), (6, 15, 5, 5) })
            {
                var g = new ConvGeometry(2, c, 3 + w % 5, w, k, kh, kw, PadTop: kh / 2, PadLeft: w % 3, PadBottom: (kh - 1) / 2, PadRight: kw - 1);
                if (Conv2dKernel.MethodFor(g) == ConvMethod.DirectPixels) direct++;
                string? failure = KernelCases.CheckConvForward(g, withBias: w % 2 == 0, threads: 1);
                if (failure != null) failures.Add(failure);
            }
        Assert.IsEmpty(failures, string.Join(Environment.NewLine, failures.Take(10)));
        if (System.Runtime.Intrinsics.X86.Fma.IsSupported) Assert.AreEqual(200, direct, "every case here should take the direct path on an FMA CPU");
    }

    /// <summary>Weights packed once (the executor's plan-time path), with and without the fused ReLU,
    /// for every geometry, at 1 and 2 threads; ReLU must equal max(0, naive).</summary>
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void PrepackedForwardWithReluMatchesNaive(int threads)
    {
        var failures = new List<string>();
        foreach (ConvGeometry g in KernelCases.ConvGeometries())
            foreach (bool relu in new[] { false, true })
            {
                var random = new Random(g.GetHashCode() + 3);
                float[] input = KernelCases.RandomArray(random, g.InputLength), weight = KernelCases.RandomArray(random, g.WeightLength);
                float[] bias = KernelCases.RandomArray(random, g.K), expected = new float[g.OutputLength];
                float[] actual = KernelCases.RandomArray(random, g.OutputLength);
                Conv2dKernel.ForwardNaive(input, weight, bias, expected, g);
                if (relu) System.Numerics.Tensors.TensorPrimitives.Max(expected, 0f, expected);
                ConvWeights packed = Conv2dKernel.PackWeights(weight, g with { N = 7 }); // any batch size fits
                Conv2dKernel.Forward(input, packed, bias, actual, g, relu, threads);
                string? failure = KernelCases.Compare($"prepacked conv forward {g} relu={relu} threads={threads}", expected, actual, depth: g.C * g.KH * g.KW);
                if (failure != null) failures.Add(failure);
            }
        Assert.IsEmpty(failures, string.Join(Environment.NewLine, failures.Take(10)));
    }

    [TestMethod]
    public void PrepackedWeightsOfAnotherGeometryAreRejected()
    {
        var g = new ConvGeometry(1, 1, 8, 8, 4, 3, 3);
        ConvWeights packed = Conv2dKernel.PackWeights(new float[g.WeightLength], g);
        var other = g with { PadTop = 1 };
        Assert.ThrowsExactly<ArgumentException>(() => Conv2dKernel.Forward(new float[other.InputLength], packed, [], new float[other.OutputLength], other, relu: false, maxThreads: 1));
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

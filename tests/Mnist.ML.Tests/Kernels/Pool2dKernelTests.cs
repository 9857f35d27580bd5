// Pooling: the 2x2 stride-2 fast paths must equal the general loops bit for bit, and the general
// loops (padding, strides, dilation, countIncludePad) must equal a reference that pads the input
// explicitly and slides an unpadded window over it.
using Mnist.ML.Kernels;

namespace Mnist.ML.Tests.Kernels;

[TestClass]
public sealed class Pool2dKernelTests
{
    public static IEnumerable<object[]> TwoByTwoShapes()
    {
        // n x c of 15 and 27 also run the narrow-row gather path (OW < 8, groups of 8 planes) with planes left over.
        foreach (int n in new[] { 1, 3 })
            foreach (int c in new[] { 1, 5, 9 })
                foreach (var (h, w) in new[] { (2, 2), (28, 28), (7, 9), (14, 13), (3, 3), (6, 40), (5, 33), (14, 14), (7, 7), (15, 15) })
                {
                    yield return [n, c, h, w];
                }
    }

    public static IEnumerable<object[]> GeneralWindows()
    {
        // kh, kw, stride h, stride w, pads top/left/bottom/right, dilation h, w
        yield return [3, 3, 1, 1, 1, 1, 1, 1, 1, 1];
        yield return [3, 3, 2, 2, 1, 1, 1, 1, 1, 1];
        yield return [2, 3, 2, 1, 0, 1, 1, 0, 1, 1];
        yield return [3, 2, 3, 2, 1, 0, 0, 1, 1, 2];
        yield return [2, 2, 2, 2, 1, 1, 1, 1, 1, 1];
        yield return [3, 3, 1, 1, 2, 2, 2, 2, 2, 2];
        yield return [1, 1, 2, 2, 0, 0, 0, 0, 1, 1];
    }

    /// <summary>A batch big enough to split across threads (odd plane count, 28x28 rows with an 8-wide
    /// remainder, 14x14 and 7x7 planes on the narrow-row gather path) gives exactly the general loop's values and whole-tensor argmax indices.</summary>
    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public void ThreadedTwoByTwoEqualsTheGeneralLoop(int threads)
    {
        foreach (var (n, c, h, w) in new[] { (11, 33, 28, 28), (37, 64, 14, 14), (41, 131, 7, 7) })
        {
            var g = new ConvGeometry(n, c, h, w, c, 2, 2, StrideH: 2, StrideW: 2);
            Assert.IsGreaterThanOrEqualTo(Pool2dKernel.ParallelThreshold, (long)g.InputLength, "the case must be big enough to split");
            float[] input = KernelCases.RandomArray(new Random(n), g.InputLength);
            int outLength = n * c * g.OH * g.OW;
            float[] fast = new float[outLength], general = new float[outLength];
            int[] fastArgmax = new int[outLength], generalArgmax = new int[outLength];
            Pool2dKernel.MaxForward2x2(input, fast, fastArgmax, g, threads);
            Pool2dKernel.MaxForwardGeneral(input, general, generalArgmax, g);
            CollectionAssert.AreEqual(general, fast);
            CollectionAssert.AreEqual(generalArgmax, fastArgmax);
            Pool2dKernel.MaxForward2x2(input, fast, [], g, threads);
            CollectionAssert.AreEqual(general, fast);
        }
    }

    [TestMethod]
    [DynamicData(nameof(TwoByTwoShapes))]
    public void TwoByTwoFastPathsEqualTheGeneralLoops(int n, int c, int h, int w)
    {
        var g = new ConvGeometry(n, c, h, w, c, 2, 2, StrideH: 2, StrideW: 2);
        var random = new Random(n * 100 + c * 10 + h + w);
        float[] input = KernelCases.RandomArray(random, g.InputLength);
        // Ties (the first candidate must keep the max, as in the general loop) and NaNs (never win
        // unless first), spread so that both the 8-wide vector loop and the scalar tail see them.
        for (int i = 0; i + w + 1 < input.Length; i += 7)
        {
            if (i % 3 == 0) input[i + 1] = input[i];
            if (i % 5 == 0) input[i + w] = input[i];
            if (i % 11 == 0) input[i] = float.NaN;
        }
        int outLength = n * c * g.OH * g.OW;

        float[] fast = new float[outLength], general = new float[outLength];
        int[] fastArgmax = new int[outLength], generalArgmax = new int[outLength];
        Pool2dKernel.MaxForward(input, fast, fastArgmax, g);
        Pool2dKernel.MaxForwardGeneral(input, general, generalArgmax, g);
        CollectionAssert.AreEqual(general, fast);
        CollectionAssert.AreEqual(generalArgmax, fastArgmax);
        Pool2dKernel.MaxForward(input, fast, [], g);
        CollectionAssert.AreEqual(general, fast);

        Pool2dKernel.AverageForward(input, fast, g);
        Pool2dKernel.AverageForwardGeneral(input, general, g);
        CollectionAssert.AreEqual(general, fast);

        float[] dOutput = KernelCases.RandomArray(random, outLength);
        float[] dFast = KernelCases.RandomArray(random, g.InputLength), dGeneral = (float[])dFast.Clone();
        Pool2dKernel.AverageBackward(dOutput, dFast, g);
        Pool2dKernel.AverageBackwardGeneral(dOutput, dGeneral, g);
        CollectionAssert.AreEqual(dGeneral, dFast);
    }

    [TestMethod]
    [DynamicData(nameof(GeneralWindows))]
    public void GeneralLoopsMatchAnExplicitlyPaddedReference(int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, int dh, int dw)
    {
        var g = new ConvGeometry(2, 3, 7, 8, 3, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw);
        var random = new Random(kh * 1000 + sh * 100 + pt * 10 + dh);
        float[] input = KernelCases.RandomArray(random, g.InputLength);
        int outLength = g.N * g.C * g.OH * g.OW;

        float[] output = new float[outLength];
        int[] argmax = new int[outLength];
        Pool2dKernel.MaxForward(input, output, argmax, g);
        var (expectedMax, expectedArgmax) = ReferenceMax(input, g);
        CollectionAssert.AreEqual(expectedMax, output);
        CollectionAssert.AreEqual(expectedArgmax, argmax);

        float[] dOutput = KernelCases.RandomArray(random, outLength);
        float[] dInput = new float[g.InputLength];
        Pool2dKernel.MaxBackward(dOutput, argmax, dInput);
        float[] expectedDInput = new float[g.InputLength];
        for (int o = 0; o < outLength; o++) expectedDInput[expectedArgmax[o]] += dOutput[o];
        CollectionAssert.AreEqual(expectedDInput, dInput);

        foreach (bool includePad in new[] { false, true })
        {
            Pool2dKernel.AverageForward(input, output, g, includePad);
            float[] expectedAverage = ReferenceAverage(input, g, includePad);
            Assert.IsNull(KernelCases.Compare($"average {g} includePad={includePad}", expectedAverage, output, depth: kh * kw));

            // Backward is the adjoint of forward: <dOutput, forward(x)> == <backward(dOutput), x>.
            float[] dAverage = new float[g.InputLength];
            Pool2dKernel.AverageBackward(dOutput, dAverage, g, includePad);
            double lhs = 0, rhs = 0;
            for (int o = 0; o < outLength; o++) lhs += dOutput[o] * (double)output[o];
            for (int i = 0; i < input.Length; i++) rhs += dAverage[i] * (double)input[i];
            Assert.AreEqual(lhs, rhs, 1e-4 * (1 + Math.Abs(lhs)), $"average backward is not the adjoint of forward for {g}");
        }
    }

    [TestMethod]
    public void ShortBuffersAreRejected()
    {
        var g = new ConvGeometry(1, 2, 4, 4, 2, 2, 2, StrideH: 2, StrideW: 2);
        Assert.ThrowsExactly<ArgumentException>(() => Pool2dKernel.MaxForward(new float[31], new float[8], [], g));
        Assert.ThrowsExactly<ArgumentException>(() => Pool2dKernel.MaxForward(new float[32], new float[7], [], g));
        Assert.ThrowsExactly<ArgumentException>(() => Pool2dKernel.MaxForward(new float[32], new float[8], new int[7], g));
    }

    /// <summary>Pads with NaN markers, then takes the first strict maximum over the real cells of each window.</summary>
    private static (float[] Max, int[] Argmax) ReferenceMax(float[] input, ConvGeometry g)
    {
        var (padded, index, ph, pw) = Pad(input, g);
        int count = g.N * g.C * g.OH * g.OW;
        float[] max = new float[count];
        int[] argmax = new int[count];
        for (int nc = 0, o = 0; nc < g.N * g.C; nc++)
            for (int y = 0; y < g.OH; y++)
                for (int x = 0; x < g.OW; x++, o++)
                {
                    float best = float.NegativeInfinity;
                    int bestIndex = -1;
                    for (int i = 0; i < g.KH; i++)
                        for (int j = 0; j < g.KW; j++)
                        {
                            int p = (nc * ph + y * g.StrideH + i * g.DilationH) * pw + x * g.StrideW + j * g.DilationW;
                            if (index[p] < 0) continue; // a padding cell
                            if (bestIndex < 0 || padded[p] > best) { best = padded[p]; bestIndex = index[p]; }
                        }
                    max[o] = best;
                    argmax[o] = bestIndex;
                }
        return (max, argmax);
    }

    private static float[] ReferenceAverage(float[] input, ConvGeometry g, bool includePad)
    {
        var (padded, index, ph, pw) = Pad(input, g);
        float[] average = new float[g.N * g.C * g.OH * g.OW];
        for (int nc = 0, o = 0; nc < g.N * g.C; nc++)
            for (int y = 0; y < g.OH; y++)
                for (int x = 0; x < g.OW; x++, o++)
                {
                    double sum = 0;
                    int cells = 0;
                    for (int i = 0; i < g.KH; i++)
                        for (int j = 0; j < g.KW; j++)
                        {
                            int p = (nc * ph + y * g.StrideH + i * g.DilationH) * pw + x * g.StrideW + j * g.DilationW;
                            sum += padded[p];
                            if (includePad || index[p] >= 0) cells++;
                        }
                    average[o] = cells == 0 ? 0f : (float)(sum / cells);
                }
        return average;
    }

    /// <summary>The input surrounded by zero cells, with each cell's flat input index (-1 for padding).</summary>
    private static (float[] Padded, int[] Index, int H, int W) Pad(float[] input, ConvGeometry g)
    {
        int ph = g.H + g.PadTop + g.PadBottom, pw = g.W + g.PadLeft + g.PadRight;
        float[] padded = new float[g.N * g.C * ph * pw];
        int[] index = new int[padded.Length];
        Array.Fill(index, -1);
        for (int nc = 0; nc < g.N * g.C; nc++)
            for (int y = 0; y < g.H; y++)
                for (int x = 0; x < g.W; x++)
                {
                    int p = (nc * ph + y + g.PadTop) * pw + x + g.PadLeft, i = (nc * g.H + y) * g.W + x;
                    padded[p] = input[i];
                    index[p] = i;
                }
        return (padded, index, ph, pw);
    }
}

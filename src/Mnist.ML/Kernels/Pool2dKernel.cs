// 2-D max and average pooling. Shapes: input (N, C, H, W), output (N, C, OH, OW) with the window in
// ConvGeometry (K == C, KH/KW the window). Max pooling records the flat input index of each maximum
// (argmax) for the trainer's backward; padding cells never win a max.
//
// Every model here pools 2x2 with stride 2 and no padding, so that case has its own loops (two input
// rows at a time, no window or bounds arithmetic per cell) that give bit-identical results to the
// general loops, which remain the path for every other window and the oracle in tests.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mnist.ML.Kernels;

internal static class Pool2dKernel
{
    public static void MaxForward(
        ReadOnlySpan<float> input, // (N, C, H, W)
        Span<float> output,        // (N, C, OH, OW)
        Span<int> argmax,          // (N, C, OH, OW) flat input index of the max, or empty to skip
        in ConvGeometry g)
    {
        Check(g, input.Length, output.Length);
        if (!argmax.IsEmpty && argmax.Length < output.Length) throw new ArgumentException($"argmax holds {argmax.Length} values, the pool needs {output.Length}.");
        if (IsTwoByTwo(g)) MaxForward2x2(input, output, argmax, g, KernelOptions.MaxThreads);
        else MaxForwardGeneral(input, output, argmax, g);
    }

    /// <summary>
    /// Input floats below which one thread pools alone. A batch of LeNet-5/cnn3 images is 0.1-6 M
    /// floats (memory-bound, ~1 float/ns), so only batches pay for the hand-off; batch 1 never splits.
    /// </summary>
    internal const long ParallelThreshold = 1L << 18;

    /// <summary>2x2 max pool with an explicit thread budget (tests): planes (n, c) are split in
    /// contiguous runs, one per thread; each output and argmax cell is written by exactly one thread.</summary>
    internal static unsafe void MaxForward2x2(ReadOnlySpan<float> input, Span<float> output, Span<int> argmax, in ConvGeometry g, int maxThreads)
    {
        int planes = g.N * g.C;
        int threads = (long)planes * g.H * g.W < ParallelThreshold ? 1 : Math.Min(Math.Max(1, maxThreads), planes);
        if (threads <= 1)
        {
            MaxForward2x2(input, output, argmax, g);
            return;
        }
        fixed (float* x = input, y = output)
        fixed (int* am = argmax)
        {
            MaxForward2x2Parallel((nint)x, (nint)y, (nint)am, input.Length, output.Length, argmax.Length, g, planes, threads);
        }
    }

    // Its own method so the single-threaded path does not allocate the lambda's closure.
    private static unsafe void MaxForward2x2Parallel(nint x, nint y, nint am, int inputLength, int outputLength, int argmaxLength,
        ConvGeometry g, int planes, int threads)
    {
        int planeIn = g.H * g.W, planeOut = g.OH * g.OW;
        Parallel.For(0, threads, t =>
        {
            int p0 = (int)((long)t * planes / threads), p1 = (int)((long)(t + 1) * planes / threads);
            if (p0 >= p1) return;
            // Pool planes [p0, p1) as their own batch, then shift the argmax back to whole-tensor indices.
            var part = g with { N = 1, C = p1 - p0 };
            var partInput = new ReadOnlySpan<float>((float*)x + (long)p0 * planeIn, (p1 - p0) * planeIn);
            var partOutput = new Span<float>((float*)y + (long)p0 * planeOut, (p1 - p0) * planeOut);
            Span<int> partArgmax = argmaxLength == 0 ? default : new Span<int>((int*)am + (long)p0 * planeOut, (p1 - p0) * planeOut);
            MaxForward2x2(partInput, partOutput, partArgmax, part);
            int shift = p0 * planeIn;
            for (int i = 0; i < partArgmax.Length; i++) partArgmax[i] += shift;
        });
    }

    /// <summary>2x2 stride-2 max: candidates in the general loop's order (row 0 left, right, row 1
    /// left, right), a later one winning only when strictly greater, so ties and NaNs resolve alike.</summary>
    private static unsafe void MaxForward2x2(ReadOnlySpan<float> input, Span<float> output, Span<int> argmax, in ConvGeometry g)
    {
        int oh = g.OH, ow = g.OW, w = g.W, h = g.H;
        fixed (float* x = input, y = output)
        fixed (int* am = argmax)
        {
            int nc = 0;
            if (am == null && Avx2.IsSupported && ow < 8) nc = MaxPlanes2x2Narrow(x, y, g);
            else if (Avx2.IsSupported && ow < 8 && oh * ow <= MaxGatherPlane) nc = MaxPlanes2x2Gather(x, y, am, g);
            for (; nc < g.N * g.C; nc++)
            {
                for (int oy = 0; oy < oh; oy++)
                {
                    int row0 = (nc * h + 2 * oy) * w, o = (nc * oh + oy) * ow;
                    int ox = Avx2.IsSupported ? MaxRow2x2Avx2(x, row0, w, ow, y + o, am == null ? null : am + o) : 0;
                    for (; ox < ow; ox++)
                    {
                        int i0 = row0 + 2 * ox, i1 = i0 + w;
                        float best = x[i0];
                        int bestIndex = i0;
                        float v = x[i0 + 1];
                        if (v > best) { best = v; bestIndex = i0 + 1; }
                        v = x[i1];
                        if (v > best) { best = v; bestIndex = i1; }
                        v = x[i1 + 1];
                        if (v > best) { best = v; bestIndex = i1 + 1; }
                        y[o + ox] = best;
                        if (am != null) am[o + ox] = bestIndex;
                    }
                }
            }
        }
    }

    /// <summary>
    /// 8 windows at a time, branch-free (random data made the scalar compares mispredict): two 8-lane
    /// loads per input row are split into left (even) and right (odd) columns with a shuffle plus a
    /// cross-lane permute, then the four candidates are compared in the scalar order with a strict
    /// greater-than (false for NaN), blending values and indices. Returns how many windows it did
    /// (all of them, or none when the row has fewer than 8).
    /// </summary>
    private static unsafe int MaxRow2x2Avx2(float* x, int row0, int w, int ow, float* y, int* argmax)
    {
        if (ow < 8) return 0;
        int ox = 0;
        for (; ox + 8 <= ow; ox += 8) Block(x, row0 + 2 * ox, w, y + ox, argmax == null ? null : argmax + ox);
        // The tail redoes the last 8 windows (overlapping ones get the same values) instead of a scalar loop.
        if (ox < ow) Block(x, row0 + 2 * (ow - 8), w, y + ow - 8, argmax == null ? null : argmax + ow - 8);
        return ow;

        static void Block(float* x, int i0, int w, float* y, int* argmax)
        {
            float* r0 = x + i0, r1 = r0 + w;
            Vector256<float> a0 = Avx.LoadVector256(r0), a1 = Avx.LoadVector256(r0 + 8);
            Vector256<float> b0 = Avx.LoadVector256(r1), b1 = Avx.LoadVector256(r1 + 8);
            Vector256<float> best = Even(a0, a1);
            Vector256<int> index = Vector256.Create(i0) + Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14);
            Vector256<int> bestIndex = index;
            Take(Odd(a0, a1), index + Vector256<int>.One, ref best, ref bestIndex);
            Take(Even(b0, b1), index + Vector256.Create(w), ref best, ref bestIndex);
            Take(Odd(b0, b1), index + Vector256.Create(w + 1), ref best, ref bestIndex);
            Avx.Store(y, best);
            if (argmax != null) Avx.Store(argmax, bestIndex);
        }

        // Shuffle picks columns 0,2,8,10 | 4,6,12,14; the 64-bit permute restores 0,2,4,...,14.
        static Vector256<float> Even(Vector256<float> lo, Vector256<float> hi) =>
            Avx2.Permute4x64(Avx.Shuffle(lo, hi, 0x88).AsDouble(), 0xD8).AsSingle();
        static Vector256<float> Odd(Vector256<float> lo, Vector256<float> hi) =>
            Avx2.Permute4x64(Avx.Shuffle(lo, hi, 0xDD).AsDouble(), 0xD8).AsSingle();
    }

    /// <summary>Largest output plane (OH x OW) that <see cref="MaxPlanes2x2Gather"/> takes: its offset table of 8 planes lives on the stack.</summary>
    private const int MaxGatherPlane = 256;

    /// <summary>
    /// 2x2 stride-2 max for rows narrower than one vector (OW &lt; 8: cnn3's 14x14 and 7x7 planes),
    /// where the row loop would be all scalar tail with unpredictable compares. Groups of 8 planes
    /// are one run of 8 x OH x OW outputs (a multiple of 8); a table gives each output's window
    /// corner within the group, and 8 outputs at a time gather their 4 candidates, compared in the
    /// row loop's order. Returns the planes done (a multiple of 8); the caller pools the rest.
    /// </summary>
    private static unsafe int MaxPlanes2x2Gather(float* x, float* y, int* argmax, in ConvGeometry g)
    {
        int planeIn = g.H * g.W, planeOut = g.OH * g.OW, ow = g.OW, w = g.W;
        int groups = g.N * g.C / 8, run = 8 * planeOut;
        int* table = stackalloc int[run];
        for (int k = 0; k < run; k++)
        {
            int plane = k / planeOut, cell = k % planeOut;
            table[k] = plane * planeIn + 2 * (cell / ow) * w + 2 * (cell % ow);
        }
        Vector256<int> right = Vector256<int>.One, below = Vector256.Create(w), belowRight = Vector256.Create(w + 1);
        for (int group = 0; group < groups; group++)
        {
            var inBase = Vector256.Create(group * 8 * planeIn);
            float* yGroup = y + (long)group * run;
            int* amGroup = argmax == null ? null : argmax + (long)group * run;
            for (int k = 0; k < run; k += 8)
            {
                Vector256<int> index = Avx.LoadVector256(table + k) + inBase;
                Vector256<float> best = Avx2.GatherVector256(x, index, 4);
                Vector256<int> bestIndex = index;
                Take(Avx2.GatherVector256(x, index + right, 4), index + right, ref best, ref bestIndex);
                Take(Avx2.GatherVector256(x, index + below, 4), index + below, ref best, ref bestIndex);
                Take(Avx2.GatherVector256(x, index + belowRight, 4), index + belowRight, ref best, ref bestIndex);
                Avx.Store(yGroup + k, best);
                if (amGroup != null) Avx.Store(amGroup + k, bestIndex);
            }
        }
        return groups * 8;
    }

    /// <summary>
    /// Inference (no argmax) on planes under 8 windows wide (cnn3's 14x14 and 7x7): per output row, the
    /// 2*OW input columns of both rows are loaded masked, shuffles split each row into the windows' left
    /// (even) and right (odd) columns, and the four candidates are compared in the general loop's order
    /// (row 0 left, right, row 1 left, right) as Max(later, best), which keeps best unless the later one
    /// is strictly greater (NaN never wins; a NaN first candidate stays). One permute puts the windows in
    /// order; a masked store writes the OW results.
    /// </summary>
    private static unsafe int MaxPlanes2x2Narrow(float* x, float* y, in ConvGeometry g)
    {
        int oh = g.OH, ow = g.OW, w = g.W, planeIn = g.H * w, planeOut = oh * ow;
        Vector256<int> lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        Vector256<float> maskLo = Vector256.LessThan(lane, Vector256.Create(Math.Min(8, 2 * ow))).AsSingle();
        Vector256<float> maskHi = Vector256.LessThan(lane, Vector256.Create(2 * ow - 8)).AsSingle();
        Vector256<float> maskOut = Vector256.LessThan(lane, Vector256.Create(ow)).AsSingle();
        Vector256<int> order = Vector256.Create(0, 1, 4, 5, 2, 3, 6, 7);
        int planes = g.N * g.C;
        for (int p = 0; p < planes; p++)
        {
            float* plane = x + (long)p * planeIn;
            float* outPlane = y + (long)p * planeOut;
            for (int oy = 0; oy < oh; oy++)
            {
                float* r0 = plane + 2 * oy * w, r1 = r0 + w;
                Vector256<float> lo0 = Avx.MaskLoad(r0, maskLo), hi0 = Avx.MaskLoad(r0 + 8, maskHi);
                Vector256<float> lo1 = Avx.MaskLoad(r1, maskLo), hi1 = Avx.MaskLoad(r1 + 8, maskHi);
                // Lanes (window 0, 1, 4, 5 | 2, 3, 6, 7): a window's left column from the even lanes, its right from the odd.
                Vector256<float> best = Avx.Shuffle(lo0, hi0, 0x88);
                best = Avx.Max(Avx.Shuffle(lo0, hi0, 0xDD), best);
                best = Avx.Max(Avx.Shuffle(lo1, hi1, 0x88), best);
                best = Avx.Max(Avx.Shuffle(lo1, hi1, 0xDD), best);
                Avx.MaskStore(outPlane + oy * ow, maskOut, Avx2.PermuteVar8x32(best, order));
            }
        }
        return planes;
    }

    /// <summary>A later candidate wins only when strictly greater (ties keep the first; NaN never wins), as in the general loop.</summary>
    private static void Take(Vector256<float> v, Vector256<int> index, ref Vector256<float> best, ref Vector256<int> bestIndex)
    {
        Vector256<float> greater = Avx.CompareGreaterThan(v, best);
        best = Avx.BlendVariable(best, v, greater);
        bestIndex = Avx.BlendVariable(bestIndex.AsSingle(), index.AsSingle(), greater).AsInt32();
    }

    /// <summary>Any window, stride, padding and dilation: the definition, and the oracle for the fast paths.</summary>
    internal static void MaxForwardGeneral(ReadOnlySpan<float> input, Span<float> output, Span<int> argmax, in ConvGeometry g)
    {
        int oh = g.OH, ow = g.OW;
        for (int nc = 0; nc < g.N * g.C; nc++)
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    float best = float.NegativeInfinity;
                    int bestIndex = -1;
                    for (int i = 0; i < g.KH; i++)
                    {
                        int iy = y * g.StrideH - g.PadTop + i * g.DilationH;
                        if ((uint)iy >= (uint)g.H) continue;
                        for (int j = 0; j < g.KW; j++)
                        {
                            int ix = x * g.StrideW - g.PadLeft + j * g.DilationW;
                            if ((uint)ix >= (uint)g.W) continue;
                            int idx = (nc * g.H + iy) * g.W + ix;
                            float v = input[idx];
                            if (v > best || bestIndex < 0) { best = v; bestIndex = idx; }
                        }
                    }
                    int o = (nc * oh + y) * ow + x;
                    output[o] = best;
                    if (!argmax.IsEmpty) argmax[o] = bestIndex;
                }
    }

    /// <summary>dInput[argmax[o]] += dOutput[o].</summary>
    public static void MaxBackward(
        ReadOnlySpan<float> dOutput, // (N, C, OH, OW)
        ReadOnlySpan<int> argmax,    // (N, C, OH, OW) from MaxForward
        Span<float> dInput)          // (N, C, H, W), added into
    {
        argmax = argmax[..dOutput.Length];
        for (int o = 0; o < dOutput.Length; o++) dInput[argmax[o]] += dOutput[o];
    }

    /// <summary>The case every model here uses, with loops that need no window arithmetic.</summary>
    internal static bool IsTwoByTwo(in ConvGeometry g) =>
        g.KH == 2 && g.KW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.DilationH == 1 && g.DilationW == 1
        && g.PadTop == 0 && g.PadLeft == 0 && g.PadBottom == 0 && g.PadRight == 0;

    private static void Check(in ConvGeometry g, int inputLength, int outputLength)
    {
        if (g.N < 0 || g.C < 0 || g.KH < 1 || g.KW < 1 || g.StrideH < 1 || g.StrideW < 1 || g.DilationH < 1 || g.DilationW < 1
            || g.PadTop < 0 || g.PadLeft < 0 || g.PadBottom < 0 || g.PadRight < 0 || g.OH < 1 || g.OW < 1)
            throw new ArgumentException($"Invalid pooling geometry {g}.");
        long expectedInput = (long)g.N * g.C * g.H * g.W, expectedOutput = (long)g.N * g.C * g.OH * g.OW;
        if (inputLength < expectedInput) throw new ArgumentException($"input holds {inputLength} values, the pool needs {expectedInput}.");
        if (outputLength < expectedOutput) throw new ArgumentException($"output holds {outputLength} values, the pool needs {expectedOutput}.");
    }

    /// <summary>Average pooling; padding cells count in the divisor only when <paramref name="countIncludePad"/>.</summary>
    public static void AverageForward(
        ReadOnlySpan<float> input, // (N, C, H, W)
        Span<float> output,        // (N, C, OH, OW)
        in ConvGeometry g, bool countIncludePad = false)
    {
        Check(g, input.Length, output.Length);
        if (!IsTwoByTwo(g))
        {
            AverageForwardGeneral(input, output, g, countIncludePad);
            return;
        }
        // No padding: every window has 4 cells. Summed in the general loop's order for identical results.
        int oh = g.OH, ow = g.OW, w = g.W, h = g.H;
        for (int nc = 0; nc < g.N * g.C; nc++)
            for (int oy = 0; oy < oh; oy++)
            {
                ReadOnlySpan<float> r0 = input.Slice((nc * h + 2 * oy) * w, 2 * ow), r1 = input.Slice((nc * h + 2 * oy + 1) * w, 2 * ow);
                Span<float> o = output.Slice((nc * oh + oy) * ow, ow);
                for (int ox = 0; ox < o.Length; ox++) o[ox] = (r0[2 * ox] + r0[2 * ox + 1] + r1[2 * ox] + r1[2 * ox + 1]) / 4;
            }
    }

    internal static void AverageForwardGeneral(ReadOnlySpan<float> input, Span<float> output, in ConvGeometry g, bool countIncludePad = false)
    {
        int oh = g.OH, ow = g.OW;
        for (int nc = 0; nc < g.N * g.C; nc++)
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    float sum = 0f;
                    for (int i = 0; i < g.KH; i++)
                    {
                        int iy = y * g.StrideH - g.PadTop + i * g.DilationH;
                        if ((uint)iy >= (uint)g.H) continue;
                        for (int j = 0; j < g.KW; j++)
                        {
                            int ix = x * g.StrideW - g.PadLeft + j * g.DilationW;
                            if ((uint)ix < (uint)g.W) sum += input[(nc * g.H + iy) * g.W + ix];
                        }
                    }
                    int count = AverageDivisor(g, y, x, countIncludePad);
                    output[(nc * oh + y) * ow + x] = count == 0 ? 0f : sum / count;
                }
    }

    /// <summary>Spreads each output gradient evenly over its window (same divisor rule as forward).</summary>
    public static void AverageBackward(
        ReadOnlySpan<float> dOutput, // (N, C, OH, OW)
        Span<float> dInput,          // (N, C, H, W), added into
        in ConvGeometry g, bool countIncludePad = false)
    {
        Check(g, dInput.Length, dOutput.Length);
        if (!IsTwoByTwo(g))
        {
            AverageBackwardGeneral(dOutput, dInput, g, countIncludePad);
            return;
        }
        int oh = g.OH, ow = g.OW, w = g.W, h = g.H;
        for (int nc = 0; nc < g.N * g.C; nc++)
            for (int oy = 0; oy < oh; oy++)
            {
                Span<float> r0 = dInput.Slice((nc * h + 2 * oy) * w, 2 * ow), r1 = dInput.Slice((nc * h + 2 * oy + 1) * w, 2 * ow);
                ReadOnlySpan<float> d = dOutput.Slice((nc * oh + oy) * ow, ow);
                for (int ox = 0; ox < d.Length; ox++)
                {
                    float share = d[ox] / 4;
                    r0[2 * ox] += share; r0[2 * ox + 1] += share; r1[2 * ox] += share; r1[2 * ox + 1] += share;
                }
            }
    }

    internal static void AverageBackwardGeneral(ReadOnlySpan<float> dOutput, Span<float> dInput, in ConvGeometry g, bool countIncludePad = false)
    {
        int oh = g.OH, ow = g.OW;
        for (int nc = 0; nc < g.N * g.C; nc++)
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++)
                {
                    int count = AverageDivisor(g, y, x, countIncludePad);
                    if (count == 0) continue;
                    float d = dOutput[(nc * oh + y) * ow + x] / count;
                    for (int i = 0; i < g.KH; i++)
                    {
                        int iy = y * g.StrideH - g.PadTop + i * g.DilationH;
                        if ((uint)iy >= (uint)g.H) continue;
                        for (int j = 0; j < g.KW; j++)
                        {
                            int ix = x * g.StrideW - g.PadLeft + j * g.DilationW;
                            if ((uint)ix < (uint)g.W) dInput[(nc * g.H + iy) * g.W + ix] += d;
                        }
                    }
                }
    }

    /// <summary>
    /// The divisor of average pooling's window at output (y, x): the cells inside the input, plus the
    /// padding cells when <paramref name="countIncludePad"/> (ONNX count_include_pad). Shared by forward and
    /// backward so both divide by the same count.
    /// </summary>
    private static int AverageDivisor(in ConvGeometry g, int y, int x, bool countIncludePad)
    {
        int count = 0;
        for (int i = 0; i < g.KH; i++)
        {
            int iy = y * g.StrideH - g.PadTop + i * g.DilationH;
            for (int j = 0; j < g.KW; j++)
            {
                int ix = x * g.StrideW - g.PadLeft + j * g.DilationW;
                bool inside = (uint)iy < (uint)g.H && (uint)ix < (uint)g.W;
                if (inside || (countIncludePad && iy < g.H + g.PadBottom && ix < g.W + g.PadRight)) count++;
            }
        }
        return count;
    }
}

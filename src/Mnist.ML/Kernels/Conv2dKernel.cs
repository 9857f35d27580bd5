// 2-D convolution kernels (group 1): forward for the executor and trainer, backward for the trainer.
// Shapes: input (N, C, H, W), weight (K, C, KH, KW), bias (K), output (N, K, OH, OW).
// Backward adds into dInput / dWeight / dBias (only the trainer zeroes gradient buffers).
//
// Fast path: per image, with col (CKK = C*KH*KW, OH*OW) the im2col matrix of the receptive fields,
//   output[n] (K, OH*OW)        = weight (K, CKK) * col (CKK, OH*OW)      [+ bias]
//   dWeight   (K, CKK)         += dOutput[n] (K, OH*OW) * col^T (OH*OW, CKK)
//   dcol      (CKK, OH*OW)      = weight^T (CKK, K) * dOutput[n] (K, OH*OW), then col2im adds into dInput[n]
// col is never stored: the GEMM's B packers (Im2ColPackB, Im2ColTransposedPackB) read its panels
// straight from the image, which saves a full write and re-read of col and lets each GEMM thread
// build only its own columns. The weights (and weight^T) are packed once per call and shared by
// all images and threads. A 1x1 stride-1 unpadded convolution is a plain GEMM on the image.
// Batches of at least as many images as threads run one image per thread with a single-threaded
// GEMM; smaller batches (batch-1 inference) run image by image with the GEMM itself threaded.
// Workspaces are per-thread pinned scratch: steady-state calls allocate nothing except what
// Parallel.For needs and, in a threaded backward, pooled per-thread dWeight partials.
using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mnist.ML.Kernels;

internal static unsafe class Conv2dKernel
{
    public static void Forward(
        ReadOnlySpan<float> input,  // (N, C, H, W)
        ReadOnlySpan<float> weight, // (K, C, KH, KW)
        ReadOnlySpan<float> bias,   // (K) or empty for no bias
        Span<float> output,         // (N, K, OH, OW)
        in ConvGeometry g)
    {
        Forward(input, weight, bias, output, g, KernelOptions.MaxThreads);
    }

    /// <summary>Forward with an explicit thread budget (tests, benchmarks).</summary>
    internal static void Forward(
        ReadOnlySpan<float> input,  // (N, C, H, W)
        ReadOnlySpan<float> weight, // (K, C, KH, KW)
        ReadOnlySpan<float> bias,   // (K) or empty for no bias
        Span<float> output,         // (N, K, OH, OW)
        in ConvGeometry g, int maxThreads)
    {
        Check(g, input.Length, weight.Length, output.Length);
        if (!bias.IsEmpty && bias.Length < g.K) throw new ArgumentException($"bias holds {bias.Length} values, the convolution has {g.K} output channels.");
        if (g.OutputLength == 0) return;
        ConvGeometry geo = g;
        int threads = ThreadsFor(g, maxThreads);
        int ckk = g.C * g.KH * g.KW;
        fixed (float* x = input, w = weight, b = bias, y = output)
        {
            PrepackedA packedWeight = Gemm.PackAll(new StridedPackA(w, ckk, 1), Scratch.Get(Scratch.Weight, Gemm.PackedALength(g.K, ckk)), g.K, ckk);
            if (threads > 1 && g.N >= threads)
            {
                nint xa = (nint)x, ba = (nint)b, ya = (nint)y;
                Parallel.For(0, threads, t =>
                {
                    for (int n = t * geo.N / threads; n < (t + 1) * geo.N / threads; n++)
                        ForwardImage((float*)xa, packedWeight, (float*)ba, (float*)ya, geo, n, 1);
                });
            }
            else
            {
                for (int n = 0; n < g.N; n++) ForwardImage(x, packedWeight, b, y, g, n, threads);
            }
        }
    }

    public static void Backward(
        ReadOnlySpan<float> input,   // (N, C, H, W)
        ReadOnlySpan<float> weight,  // (K, C, KH, KW)
        ReadOnlySpan<float> dOutput, // (N, K, OH, OW)
        Span<float> dInput,          // (N, C, H, W), added into; empty to skip
        Span<float> dWeight,         // (K, C, KH, KW), added into
        Span<float> dBias,           // (K), added into; empty to skip
        in ConvGeometry g)
    {
        Backward(input, weight, dOutput, dInput, dWeight, dBias, g, KernelOptions.MaxThreads);
    }

    /// <summary>Backward with an explicit thread budget (tests, benchmarks).</summary>
    internal static void Backward(
        ReadOnlySpan<float> input,   // (N, C, H, W)
        ReadOnlySpan<float> weight,  // (K, C, KH, KW)
        ReadOnlySpan<float> dOutput, // (N, K, OH, OW)
        Span<float> dInput,          // (N, C, H, W), added into; empty to skip
        Span<float> dWeight,         // (K, C, KH, KW), added into
        Span<float> dBias,           // (K), added into; empty to skip
        in ConvGeometry g, int maxThreads)
    {
        Check(g, input.Length, weight.Length, dOutput.Length);
        if (!dInput.IsEmpty && dInput.Length < g.InputLength) throw new ArgumentException($"dInput holds {dInput.Length} values, the convolution needs {g.InputLength}.");
        if (dWeight.Length < g.WeightLength) throw new ArgumentException($"dWeight holds {dWeight.Length} values, the convolution needs {g.WeightLength}.");
        if (!dBias.IsEmpty && dBias.Length < g.K) throw new ArgumentException($"dBias holds {dBias.Length} values, the convolution has {g.K} output channels.");
        if (g.OutputLength == 0) return;

        int ohw = g.OH * g.OW;
        if (!dBias.IsEmpty)
        {
            for (int n = 0; n < g.N; n++)
                for (int k = 0; k < g.K; k++)
                    dBias[k] += TensorPrimitives.Sum(dOutput.Slice((n * g.K + k) * ohw, ohw));
        }

        ConvGeometry geo = g;
        int threads = ThreadsFor(g, maxThreads);
        int ckk = g.C * g.KH * g.KW;
        fixed (float* x = input, w = weight, dy = dOutput, dx = dInput, dw = dWeight)
        {
            // op(A)(row, k) = weight[k * CKK + row]: weight^T for dcol, packed once for all images.
            PrepackedA packedWeightT = dx == null ? default
                : Gemm.PackAll(new StridedPackA(w, 1, ckk), Scratch.Get(Scratch.WeightT, Gemm.PackedALength(ckk, g.K)), ckk, g.K);
            if (threads > 1 && g.N >= threads)
            {
                // Each thread sums its images' dWeight into its own buffer (thread 0 straight into
                // dWeight); the partials are added in thread order, so results do not depend on timing.
                int wl = g.WeightLength;
                var partials = new float[threads - 1][];
                for (int t = 1; t < threads; t++) partials[t - 1] = ArrayPool<float>.Shared.Rent(wl);
                nint xa = (nint)x, dya = (nint)dy, dxa = (nint)dx, dwa = (nint)dw;
                Parallel.For(0, threads, t =>
                {
                    fixed (float* partial = t == 0 ? null : partials[t - 1])
                    {
                        float* target = t == 0 ? (float*)dwa : partial;
                        if (t > 0) new Span<float>(target, wl).Clear();
                        for (int n = t * geo.N / threads; n < (t + 1) * geo.N / threads; n++)
                            BackwardImage((float*)xa, packedWeightT, (float*)dya, (float*)dxa, target, geo, n, 1);
                    }
                });
                foreach (float[] partial in partials)
                {
                    TensorPrimitives.Add(dWeight[..wl], partial.AsSpan(0, wl), dWeight[..wl]);
                    ArrayPool<float>.Shared.Return(partial);
                }
            }
            else
            {
                for (int n = 0; n < g.N; n++) BackwardImage(x, packedWeightT, dy, dx, dw, g, n, threads);
            }
        }
    }

    /// <summary>One thread unless the whole call is big enough to pay for waking another.</summary>
    private static int ThreadsFor(in ConvGeometry g, int maxThreads)
    {
        long macs = (long)g.N * g.K * g.OH * g.OW * g.C * g.KH * g.KW;
        return macs < Gemm.ParallelThreshold ? 1 : Math.Max(1, maxThreads);
    }

    private static void Check(in ConvGeometry g, int inputLength, int weightLength, int outputLength)
    {
        if (g.N < 0 || g.C < 1 || g.K < 0 || g.KH < 1 || g.KW < 1 || g.StrideH < 1 || g.StrideW < 1 || g.DilationH < 1 || g.DilationW < 1
            || g.PadTop < 0 || g.PadLeft < 0 || g.PadBottom < 0 || g.PadRight < 0 || g.OH < 1 || g.OW < 1)
            throw new ArgumentException($"Invalid convolution geometry {g}.");
        if (inputLength < g.InputLength) throw new ArgumentException($"input holds {inputLength} values, the convolution needs {g.InputLength}.");
        if (weightLength < g.WeightLength) throw new ArgumentException($"weight holds {weightLength} values, the convolution needs {g.WeightLength}.");
        if (outputLength < g.OutputLength) throw new ArgumentException($"output holds {outputLength} values, the convolution needs {g.OutputLength}.");
    }

    /// <summary>1x1, stride 1, no padding: the (C, H*W) image is already the im2col matrix.</summary>
    private static bool IsPointwise(in ConvGeometry g) =>
        g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0 && g.PadBottom == 0 && g.PadRight == 0;

    private static void ForwardImage(float* input, PrepackedA weight, float* bias, float* output, in ConvGeometry g, int n, int threads)
    {
        int ohw = g.OH * g.OW, ckk = g.C * g.KH * g.KW;
        float* x = input + (long)n * g.C * g.H * g.W; // (C, H, W)
        float* y = output + (long)n * g.K * ohw;      // (K, OH*OW)
        if (bias != null)
        {
            // Start from the bias and let the GEMM add the products: one pass over the output.
            for (int k = 0; k < g.K; k++) new Span<float>(y + (long)k * ohw, ohw).Fill(bias[k]);
        }
        if (IsPointwise(g)) Gemm.Run(weight, new StridedPackB(x, ohw, 1), y, ohw, g.K, ohw, ckk, accumulate: bias != null, threads);
        else Gemm.Run(weight, new Im2ColPackB(x, g), y, ohw, g.K, ohw, ckk, accumulate: bias != null, threads);
    }

    private static void BackwardImage(float* input, PrepackedA weightT, float* dOutput, float* dInput, float* dWeight, in ConvGeometry g, int n, int threads)
    {
        int ohw = g.OH * g.OW, ckk = g.C * g.KH * g.KW;
        float* x = input + (long)n * g.C * g.H * g.W; // (C, H, W)
        float* dy = dOutput + (long)n * g.K * ohw;    // (K, OH*OW)
        bool pointwise = IsPointwise(g);
        // dWeight (K, CKK) += dy (K, OHW) * col^T (OHW, CKK).
        var dyA = new StridedPackA(dy, ohw, 1);
        if (pointwise) Gemm.Run(dyA, new StridedPackB(x, 1, ohw), dWeight, ckk, g.K, ckk, ohw, accumulate: true, threads);
        else Gemm.Run(dyA, new Im2ColTransposedPackB(x, g), dWeight, ckk, g.K, ckk, ohw, accumulate: true, threads);
        if (dInput == null) return;

        float* dx = dInput + (long)n * g.C * g.H * g.W; // (C, H, W)
        var dyB = new StridedPackB(dy, ohw, 1);
        if (pointwise)
        {
            Gemm.Run(weightT, dyB, dx, ohw, ckk, ohw, g.K, accumulate: true, threads);
            return;
        }
        float* dcol = Scratch.Get(Scratch.DCol, (long)ckk * ohw); // (CKK, OH*OW)
        Gemm.Run(weightT, dyB, dcol, ohw, ckk, ohw, g.K, accumulate: false, threads);
        Col2ImAdd(dcol, dx, g);
    }

    /// <summary>
    /// The output columns ox whose input column ox * stride + offset lies inside [0, width):
    /// [lo, hi), clamped to [0, outWidth). Lets im2col / col2im copy runs without per-element tests.
    /// </summary>
    private static (int Lo, int Hi) ValidRange(int offset, int stride, int width, int outWidth)
    {
        int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int hi = width - 1 - offset < 0 ? 0 : (width - 1 - offset) / stride + 1;
        hi = Math.Min(hi, outWidth);
        return (Math.Min(lo, hi), hi);
    }

    /// <summary>
    /// Writes <paramref name="count"/> entries of im2col row <paramref name="row"/> = (c, i, j), from
    /// output pixel <paramref name="pixel"/> on, contiguously into dst: entry (oy, ox) is
    /// input[c, oy*sH - padTop + i*dH, ox*sW - padLeft + j*dW], and 0 in the padding.
    /// </summary>
    internal static void ReadIm2ColRow(float* x, in ConvGeometry g, int row, int pixel, int count, float* dst)
    {
        int khkw = g.KH * g.KW;
        int c = row / khkw, rest = row - c * khkw, i = rest / g.KW, j = rest - i * g.KW;
        float* plane = x + (long)c * g.H * g.W;
        int ow = g.OW, sw = g.StrideW;
        int xOffset = j * g.DilationW - g.PadLeft, yOffset = i * g.DilationH - g.PadTop;
        var (lo, hi) = ValidRange(xOffset, sw, g.W, ow);
        if (sw == 1 && g.StrideH == 1 && g.W == ow)
        {
            ReadShiftedPlane(plane, g, xOffset, yOffset, lo, hi, pixel, count, dst);
            return;
        }
        int oy = pixel / ow, ox = pixel - oy * ow;
        int written = 0;
        while (written < count)
        {
            int end = Math.Min(ow, ox + count - written); // this output row's part: [ox, end)
            float* d = dst + written - ox;               // d[ox] receives output column ox
            int iy = oy * g.StrideH + yOffset;
            // Runs are short (an output row of 5..28 pixels): plain loops beat calls into memset.
            if ((uint)iy >= (uint)g.H)
            {
                for (int t = ox; t < end; t++) d[t] = 0f;
            }
            else
            {
                int validLo = Math.Min(Math.Max(ox, lo), end), validHi = Math.Max(Math.Min(end, hi), validLo);
                float* src = plane + (long)iy * g.W + xOffset; // src[t * sw] is input column t*sw + xOffset
                for (int t = ox; t < validLo; t++) d[t] = 0f;
                if (sw == 1) CopyShort(src + validLo, d + validLo, validHi - validLo);
                else for (int t = validLo; t < validHi; t++) d[t] = src[t * sw];
                for (int t = validHi; t < end; t++) d[t] = 0f;
            }
            written += end - ox;
            ox = 0;
            oy++;
        }
    }

    /// <summary>
    /// Copies a short run (an output row, typically 5..28 floats) with whole 8-lane vectors, the last
    /// one overlapping the previous instead of a scalar tail; reads and writes stay inside the run.
    /// </summary>
    private static void CopyShort(float* src, float* dst, int length)
    {
        if (length >= 8 && Vector256.IsHardwareAccelerated)
        {
            int t = 0;
            for (; t + 8 <= length; t += 8) Vector256.Store(Vector256.Load(src + t), dst + t);
            if (t < length) Vector256.Store(Vector256.Load(src + length - 8), dst + length - 8);
            return;
        }
        for (int t = 0; t < length; t++) dst[t] = src[t];
    }

    /// <summary>
    /// The common "same" convolution (stride 1, OW == W): an im2col row is then the input plane
    /// shifted by yOffset * W + xOffset, so pixel q reads plane[q + yOffset * W + xOffset]. One
    /// vectorised block copy, then zeros for the rows above/below the plane and the few columns per
    /// row that fall in the left/right padding (whose shifted reads landed on a neighbouring row).
    /// The copy is clamped to the first..last valid cell, so it never reads outside the plane.
    /// </summary>
    private static void ReadShiftedPlane(float* plane, in ConvGeometry g, int xOffset, int yOffset, int lo, int hi,
        int pixel, int count, float* dst)
    {
        int ow = g.OW;
        int oyLo = Math.Max(0, -yOffset), oyHi = Math.Min(g.OH, g.H - yOffset);
        int qEnd = pixel + count;
        int copyStart = Math.Max(pixel, oyLo * ow + lo), copyEnd = Math.Min(qEnd, (oyHi - 1) * ow + hi);
        if (oyLo >= oyHi || lo >= hi || copyStart >= copyEnd)
        {
            new Span<float>(dst, count).Clear();
            return;
        }
        new Span<float>(dst, copyStart - pixel).Clear();
        long shift = (long)yOffset * g.W + xOffset;
        new ReadOnlySpan<float>(plane + copyStart + shift, copyEnd - copyStart).CopyTo(new Span<float>(dst + copyStart - pixel, copyEnd - copyStart));
        new Span<float>(dst + copyEnd - pixel, qEnd - copyEnd).Clear();
        if (lo == 0 && hi == ow) return;
        for (int oy = Math.Max(oyLo, copyStart / ow); oy * ow < copyEnd; oy++)
        {
            int rowStart = oy * ow;
            for (int q = Math.Max(rowStart, copyStart); q < Math.Min(rowStart + lo, copyEnd); q++) dst[q - pixel] = 0f;
            for (int q = Math.Max(rowStart + hi, copyStart); q < Math.Min(rowStart + ow, copyEnd); q++) dst[q - pixel] = 0f;
        }
    }

    /// <summary>B = col (CKK, OH*OW) of one image, packed into NR-wide panels straight from the image.</summary>
    internal readonly struct Im2ColPackB(float* x, ConvGeometry g) : IPackB
    {
        public void Pack(float* dst, int p0, int kc, int j0, int nc)
        {
            // Each im2col row segment is first built contiguously in an L1-sized scratch row (fast
            // block copies), then dealt out to the panels 16 floats at a time.
            const int NR = Gemm.NR;
            float* row = Scratch.Get(Scratch.Im2ColRow, Gemm.RoundUp(nc, NR));
            int full = nc / NR * NR;
            new Span<float>(row + nc, Gemm.RoundUp(nc, NR) - nc).Clear();
            for (int p = 0; p < kc; p++)
            {
                ReadIm2ColRow(x, g, p0 + p, j0, nc, row);
                float* d = dst + p * NR;
                for (int jp = 0; jp < nc; jp += NR) Unsafe.CopyBlockUnaligned(d + (long)jp * kc, row + jp, NR * sizeof(float));
            }
        }
    }

    /// <summary>B = col^T (OH*OW, CKK) of one image: panel lane l holds im2col row j0 + l along the pixels.</summary>
    internal readonly struct Im2ColTransposedPackB(float* x, ConvGeometry g) : IPackB
    {
        public void Pack(float* dst, int p0, int kc, int j0, int nc)
        {
            // Build the panel's 16 im2col rows contiguously (fast block copies), then transpose them
            // into the p-major panel with the same 8x8 transposes as the GEMM's own B packer.
            const int NR = Gemm.NR;
            int stride = Gemm.RoundUp(kc, 8);
            float* rows = Scratch.Get(Scratch.Im2ColRow, (long)NR * stride);
            for (int jp = 0; jp < nc; jp += NR)
            {
                int cols = Math.Min(NR, nc - jp);
                float* d = dst + (long)jp * kc;
                for (int l = 0; l < cols; l++) ReadIm2ColRow(x, g, j0 + jp + l, p0, kc, rows + (long)l * stride);
                int p = 0;
                if (Avx.IsSupported && cols == NR) p = Transpose.ColumnsToPanel(rows, stride, kc, d);
                for (int l = 0; l < cols; l++)
                {
                    for (int q = p; q < kc; q++) d[q * NR + l] = rows[(long)l * stride + q];
                }
                for (int l = cols; l < NR; l++)
                {
                    for (int q = 0; q < kc; q++) d[q * NR + l] = 0f;
                }
            }
        }
    }

    /// <summary>The adjoint of im2col: adds every col entry back onto the input cell it was read from.</summary>
    internal static void Col2ImAdd(float* col, float* dx, in ConvGeometry g)
    {
        int oh = g.OH, ow = g.OW, ohw = oh * ow, sw = g.StrideW;
        for (int c = 0; c < g.C; c++)
            for (int i = 0; i < g.KH; i++)
                for (int j = 0; j < g.KW; j++)
                {
                    float* row = col + (long)((c * g.KH + i) * g.KW + j) * ohw;
                    float* plane = dx + (long)c * g.H * g.W;
                    int xOffset = j * g.DilationW - g.PadLeft;
                    var (lo, hi) = ValidRange(xOffset, sw, g.W, ow);
                    if (lo >= hi) continue;
                    for (int oy = 0; oy < oh; oy++)
                    {
                        int iy = oy * g.StrideH - g.PadTop + i * g.DilationH;
                        if ((uint)iy >= (uint)g.H) continue;
                        float* src = row + oy * ow;
                        float* dst = plane + (long)iy * g.W + xOffset;
                        if (sw == 1)
                        {
                            var target = new Span<float>(dst + lo, hi - lo);
                            TensorPrimitives.Add(target, new ReadOnlySpan<float>(src + lo, hi - lo), target);
                        }
                        else
                        {
                            for (int ox = lo; ox < hi; ox++) dst[ox * sw] += src[ox];
                        }
                    }
                }
    }

    /// <summary>The direct seven-loop definition; the oracle in tests.</summary>
    public static void ForwardNaive(ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> output, in ConvGeometry g)
    {
        int oh = g.OH, ow = g.OW;
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++)
                    {
                        float sum = bias.IsEmpty ? 0f : bias[k];
                        for (int c = 0; c < g.C; c++)
                            for (int i = 0; i < g.KH; i++)
                            {
                                int iy = y * g.StrideH - g.PadTop + i * g.DilationH;
                                if ((uint)iy >= (uint)g.H) continue;
                                for (int j = 0; j < g.KW; j++)
                                {
                                    int ix = x * g.StrideW - g.PadLeft + j * g.DilationW;
                                    if ((uint)ix >= (uint)g.W) continue;
                                    sum += input[((n * g.C + c) * g.H + iy) * g.W + ix] * weight[((k * g.C + c) * g.KH + i) * g.KW + j];
                                }
                            }
                        output[((n * g.K + k) * oh + y) * ow + x] = sum;
                    }
    }

    /// <summary>The direct definition of the three gradients; the oracle in tests.</summary>
    public static void BackwardNaive(ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> dOutput,
        Span<float> dInput, Span<float> dWeight, Span<float> dBias, in ConvGeometry g)
    {
        int oh = g.OH, ow = g.OW;
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
                for (int y = 0; y < oh; y++)
                    for (int x = 0; x < ow; x++)
                    {
                        float d = dOutput[((n * g.K + k) * oh + y) * ow + x];
                        if (!dBias.IsEmpty) dBias[k] += d;
                        for (int c = 0; c < g.C; c++)
                            for (int i = 0; i < g.KH; i++)
                            {
                                int iy = y * g.StrideH - g.PadTop + i * g.DilationH;
                                if ((uint)iy >= (uint)g.H) continue;
                                for (int j = 0; j < g.KW; j++)
                                {
                                    int ix = x * g.StrideW - g.PadLeft + j * g.DilationW;
                                    if ((uint)ix >= (uint)g.W) continue;
                                    int ii = ((n * g.C + c) * g.H + iy) * g.W + ix;
                                    int wi = ((k * g.C + c) * g.KH + i) * g.KW + j;
                                    dWeight[wi] += d * input[ii];
                                    if (!dInput.IsEmpty) dInput[ii] += d * weight[wi];
                                }
                            }
                    }
    }
}

// 2-D convolution kernels (group 1): forward for the executor and trainer, backward for the trainer.
// Shapes: input (N, C, H, W), weight (K, C, KH, KW), bias (K), output (N, K, OH, OW).
// Backward adds into dInput / dWeight / dBias (only the trainer zeroes gradient buffers).
//
// Fast path: per image, im2col lays the receptive fields out as col (C*KH*KW, OH*OW), so that
//   output[n] (K, OH*OW)        = weight (K, CKK) * col (CKK, OH*OW)      [+ bias]
//   dWeight   (K, CKK)         += dOutput[n] (K, OH*OW) * col^T (OH*OW, CKK)
//   dcol      (CKK, OH*OW)      = weight^T (CKK, K) * dOutput[n] (K, OH*OW), then col2im adds into dInput[n]
// A 1x1 stride-1 unpadded convolution needs no im2col: the image itself is col.
// Batches of at least as many images as threads run one image per thread with a single-threaded
// GEMM; smaller batches (batch-1 inference) run image by image with the GEMM itself threaded.
// Workspaces (col, dcol) are per-thread pinned scratch: steady-state calls allocate nothing
// except what Parallel.For needs and, in a threaded backward, pooled per-thread dWeight partials.
using System.Buffers;
using System.Numerics.Tensors;

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
        fixed (float* x = input, w = weight, b = bias, y = output)
        {
            if (threads > 1 && g.N >= threads)
            {
                nint xa = (nint)x, wa = (nint)w, ba = (nint)b, ya = (nint)y;
                Parallel.For(0, threads, t =>
                {
                    for (int n = t * geo.N / threads; n < (t + 1) * geo.N / threads; n++)
                        ForwardImage((float*)xa, (float*)wa, (float*)ba, (float*)ya, geo, n, 1);
                });
            }
            else
            {
                for (int n = 0; n < g.N; n++) ForwardImage(x, w, b, y, g, n, threads);
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
        fixed (float* x = input, w = weight, dy = dOutput, dx = dInput, dw = dWeight)
        {
            if (threads > 1 && g.N >= threads)
            {
                // Each thread sums its images' dWeight into its own buffer (thread 0 straight into
                // dWeight); the partials are added in thread order, so results do not depend on timing.
                int wl = g.WeightLength;
                var partials = new float[threads - 1][];
                for (int t = 1; t < threads; t++) partials[t - 1] = ArrayPool<float>.Shared.Rent(wl);
                nint xa = (nint)x, wa = (nint)w, dya = (nint)dy, dxa = (nint)dx, dwa = (nint)dw;
                Parallel.For(0, threads, t =>
                {
                    fixed (float* partial = t == 0 ? null : partials[t - 1])
                    {
                        float* target = t == 0 ? (float*)dwa : partial;
                        if (t > 0) new Span<float>(target, wl).Clear();
                        for (int n = t * geo.N / threads; n < (t + 1) * geo.N / threads; n++)
                            BackwardImage((float*)xa, (float*)wa, (float*)dya, (float*)dxa, target, geo, n, 1);
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
                for (int n = 0; n < g.N; n++) BackwardImage(x, w, dy, dx, dw, g, n, threads);
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

    private static void ForwardImage(float* input, float* weight, float* bias, float* output, in ConvGeometry g, int n, int threads)
    {
        int ohw = g.OH * g.OW, ckk = g.C * g.KH * g.KW;
        float* x = input + (long)n * g.C * g.H * g.W; // (C, H, W)
        float* y = output + (long)n * g.K * ohw;      // (K, OH*OW)
        if (bias != null)
        {
            // Start from the bias and let the GEMM add the products: one pass over the output.
            for (int k = 0; k < g.K; k++) new Span<float>(y + (long)k * ohw, ohw).Fill(bias[k]);
        }
        float* col = x;
        if (!IsPointwise(g))
        {
            col = Scratch.Get(Scratch.Col, (long)ckk * ohw);
            Im2Col(x, col, g);
        }
        Gemm.Run(new StridedPackA(weight, ckk, 1), new StridedPackB(col, ohw, 1), y, ohw, g.K, ohw, ckk, accumulate: bias != null, threads);
    }

    private static void BackwardImage(float* input, float* weight, float* dOutput, float* dInput, float* dWeight, in ConvGeometry g, int n, int threads)
    {
        int ohw = g.OH * g.OW, ckk = g.C * g.KH * g.KW;
        float* x = input + (long)n * g.C * g.H * g.W; // (C, H, W)
        float* dy = dOutput + (long)n * g.K * ohw;    // (K, OH*OW)
        bool pointwise = IsPointwise(g);
        float* col = x;
        if (!pointwise)
        {
            col = Scratch.Get(Scratch.Col, (long)ckk * ohw);
            Im2Col(x, col, g);
        }
        // dWeight (K, CKK) += dy (K, OHW) * col^T: op(B)(pixel, row) = col[row * OHW + pixel].
        Gemm.Run(new StridedPackA(dy, ohw, 1), new StridedPackB(col, 1, ohw), dWeight, ckk, g.K, ckk, ohw, accumulate: true, threads);
        if (dInput == null) return;

        float* dx = dInput + (long)n * g.C * g.H * g.W; // (C, H, W)
        // op(A)(row, k) = weight[k * CKK + row]: the transposed weight without copying it.
        var weightT = new StridedPackA(weight, 1, ckk);
        if (pointwise)
        {
            Gemm.Run(weightT, new StridedPackB(dy, ohw, 1), dx, ohw, ckk, ohw, g.K, accumulate: true, threads);
            return;
        }
        float* dcol = Scratch.Get(Scratch.DCol, (long)ckk * ohw);
        Gemm.Run(weightT, new StridedPackB(dy, ohw, 1), dcol, ohw, ckk, ohw, g.K, accumulate: false, threads);
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

    /// <summary>col (C*KH*KW, OH*OW): row (c, i, j) holds input[c, oy*sH - padTop + i*dH, ox*sW - padLeft + j*dW], 0 in the padding.</summary>
    internal static void Im2Col(float* x, float* col, in ConvGeometry g)
    {
        int oh = g.OH, ow = g.OW, ohw = oh * ow, sw = g.StrideW;
        for (int c = 0; c < g.C; c++)
        for (int i = 0; i < g.KH; i++)
        for (int j = 0; j < g.KW; j++)
        {
            float* row = col + (long)((c * g.KH + i) * g.KW + j) * ohw;
            float* plane = x + (long)c * g.H * g.W;
            int xOffset = j * g.DilationW - g.PadLeft;
            var (lo, hi) = ValidRange(xOffset, sw, g.W, ow);
            for (int oy = 0; oy < oh; oy++)
            {
                float* dst = row + oy * ow;
                int iy = oy * g.StrideH - g.PadTop + i * g.DilationH;
                if ((uint)iy >= (uint)g.H)
                {
                    new Span<float>(dst, ow).Clear();
                    continue;
                }
                float* src = plane + (long)iy * g.W + xOffset; // src[ox * sw] is input column ox*sw + xOffset
                for (int ox = 0; ox < lo; ox++) dst[ox] = 0f;
                if (sw == 1)
                {
                    new ReadOnlySpan<float>(src + lo, hi - lo).CopyTo(new Span<float>(dst + lo, hi - lo));
                }
                else
                {
                    for (int ox = lo; ox < hi; ox++) dst[ox] = src[ox * sw];
                }
                for (int ox = hi; ox < ow; ox++) dst[ox] = 0f;
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

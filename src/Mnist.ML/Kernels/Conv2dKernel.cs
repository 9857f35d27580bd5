// 2-D convolution kernels (group 1): forward for the executor and trainer, backward for the trainer.
// Shapes: input (N, C, H, W), weight (K, C, KH, KW), bias (K), output (N, K, OH, OW).
// Backward adds into dInput / dWeight / dBias (only the trainer zeroes gradient buffers).
//
// The GEMM view, per image, with col (CKK = C*KH*KW, OH*OW) the im2col matrix of the receptive fields:
//   output[n] (K, OH*OW)        = weight (K, CKK) * col (CKK, OH*OW)      [+ bias]
//   dWeight   (K, CKK)         += dOutput[n] (K, OH*OW) * col^T (OH*OW, CKK)
//   dcol      (CKK, OH*OW)      = weight^T (CKK, K) * dOutput[n] (K, OH*OW), then col2im adds into dInput[n]
// Forward runs one of three ways (ConvMethod, MethodFor), all on weights packed once per call or
// once at plan time (PackWeights, which the ONNX executor uses), with optional fused ReLU:
// - DirectChannels (>= 16 output channels, >= 32 taps: LeNet-5 conv2, cnn3 conv2/conv3): an implicit
//   GEMM with 16 output channels in the lanes (32 with AVX-512), reading a zero-padded copy of the
//   image through a table of tap offsets, so col is never built (ForwardImageChannels).
// - DirectPixels (few channels, stride 1, 16..160 taps: LeNet-5 conv1): 16 output columns in the
//   lanes, sliding over a zero-padded copy of the image (ForwardImageDirect).
// - Gemm (everything else, e.g. cnn3 conv1 with 9 taps): col's panels are packed straight from the
//   image by the GEMM's B packer (Im2ColPackB), never stored whole; a 1x1 stride-1 unpadded
//   convolution is a plain GEMM on the image.
// For inference, a channel-direct convolution followed by a 2x2 stride-2 max pool can pool its own
// tiles (ForwardMaxPooled, AVX-512): the full-size output is never written, and the conv pixels the
// pool drops are never computed. The ONNX executor uses it for Conv [-> Relu] -> MaxPool.
// Backward is GEMMs (Im2ColTransposedPackB packs col^T panels), except dWeight of shallow first
// layers, which a direct kernel computes (WeightGradientDirect).
// Image groups: a layer with a small output plane (cnn3's 14x14 and 7x7) gives per-image GEMMs that
// are thin (N = 196 or 49 columns; a dWeight depth of 49), so in a batch G images are multiplied at
// once as one wide GEMM over the group's columns (G * OH*OW, about GroupColumns): GEMM forward writes a
// (K, G*OH*OW) scratch block, then adds the bias (and ReLU) while copying it out per image; backward
// gathers the group's dOutput into one (K, G*OH*OW) block that both gradient GEMMs read.
// Batches of at least as many images as threads run a contiguous run of images per thread,
// single-threaded; smaller batches (batch-1 inference) run image by image with the kernel itself
// threaded (GEMM bands, or the channel blocks of DirectChannels).
// Workspaces are per-thread pinned scratch: steady-state forward and backward calls allocate
// nothing, threaded or not (KernelParallel; backward's per-part dWeight partials are scratch too).
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mnist.ML.Kernels;

/// <summary>How a convolution's forward runs (<see cref="Conv2dKernel.MethodFor"/>).</summary>
internal enum ConvMethod
{
    /// <summary>im2col panels (packed straight from the image) times the packed weights.</summary>
    Gemm,
    /// <summary>Output pixels in the vector lanes: 6 channels x 16 columns per tile (few output channels, short receptive fields).</summary>
    DirectPixels,
    /// <summary>Output channels in the vector lanes: 6 pixels x 16 channels per tile, reading a padded input through tap offsets.</summary>
    DirectChannels,
}

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
        fixed (float* w = weight)
        {
            // Packed into this thread's scratch for this call only; the executor packs once (PackWeights).
            ConvMethod method = MethodFor(g);
            float* packed = Scratch.Get(Scratch.Weight, PackedWeightLength(g, method));
            PackInto(w, packed, g, method);
            ForwardPacked(input, packed, method, bias, output, g, relu: false, maxThreads);
        }
    }

    /// <summary>
    /// Forward with weights packed ahead of time by <see cref="PackWeights(ReadOnlySpan{float}, in ConvGeometry)"/> (the ONNX executor packs
    /// at plan time), optionally followed by ReLU (ONNX Conv -> Relu), applied while the image's
    /// output is still in cache (the direct path applies it in registers).
    /// </summary>
    internal static void Forward(
        ReadOnlySpan<float> input,  // (N, C, H, W)
        ConvWeights weight,         // PackWeights of (K, C, KH, KW) for this geometry
        ReadOnlySpan<float> bias,   // (K) or empty for no bias
        Span<float> output,         // (N, K, OH, OW)
        in ConvGeometry g, bool relu, int maxThreads)
    {
        Check(g, input.Length, g.WeightLength, output.Length);
        if (!weight.Fits(g)) throw new ArgumentException($"weights packed for {weight.Geometry} do not fit {g}.");
        if (!bias.IsEmpty && bias.Length < g.K) throw new ArgumentException($"bias holds {bias.Length} values, the convolution has {g.K} output channels.");
        if (g.OutputLength == 0) return;
        ForwardPacked(input, weight.Pointer, weight.Method, bias, output, g, relu, maxThreads);
    }

    /// <summary>Packs (K, C, KH, KW) weights once for every later <see cref="Forward(ReadOnlySpan{float}, ConvWeights, ReadOnlySpan{float}, Span{float}, in ConvGeometry, bool, int)"/>
    /// with this geometry (any batch size).</summary>
    internal static ConvWeights PackWeights(ReadOnlySpan<float> weight, in ConvGeometry g) => PackWeights(weight, g, MethodFor(g));

    /// <summary>Packs weights for a given method: <see cref="ConvMethod.DirectChannels"/> for <see cref="ForwardMaxPooled"/>
    /// on layers whose plain forward takes another method (cnn3's conv1).</summary>
    internal static ConvWeights PackWeights(ReadOnlySpan<float> weight, in ConvGeometry g, ConvMethod method)
    {
        if (weight.Length < g.WeightLength) throw new ArgumentException($"weight holds {weight.Length} values, the convolution needs {g.WeightLength}.");
        if (method != ConvMethod.Gemm && !(Avx2.IsSupported && Fma.IsSupported)) throw new PlatformNotSupportedException($"{method} needs AVX2 and FMA.");
        var packed = new ConvWeights(g, method, PackedWeightLength(g, method));
        fixed (float* w = weight) PackInto(w, packed.Pointer, g, method);
        return packed;
    }

    /// <summary>
    /// The forward method for a geometry (AVX2+FMA for the direct ones). Channels in the lanes when
    /// there are at least 16 output channels and 32 taps: no im2col packing at all, so it beats the
    /// GEMM on every such layer measured (LeNet-5 conv2, cnn3 conv2/conv3); pixels in the lanes for
    /// few channels and short fields (LeNet-5 conv1); the GEMM otherwise (cnn3 conv1: 9 taps).
    /// </summary>
    internal static ConvMethod MethodFor(in ConvGeometry g)
    {
        if (!(Avx2.IsSupported && Fma.IsSupported)) return ConvMethod.Gemm;
        int ckk = g.C * g.KH * g.KW;
        if (g.K >= 16 && ckk >= ChannelsMinDepth) return ConvMethod.DirectChannels;
        return UsesDirect(g) ? ConvMethod.DirectPixels : ConvMethod.Gemm;
    }

    private static long PackedWeightLength(in ConvGeometry g, ConvMethod method) => method switch
    {
        ConvMethod.DirectPixels => DirectWeightLength(g),
        ConvMethod.DirectChannels => (long)Gemm.RoundUp(g.K, ChannelWidth(g)) * g.C * g.KH * g.KW,
        _ => Gemm.PackedALength(g.K, g.C * g.KH * g.KW),
    };

    private static void PackInto(float* w, float* packed, in ConvGeometry g, ConvMethod method)
    {
        int ckk = g.C * g.KH * g.KW;
        if (method == ConvMethod.DirectPixels) PackDirectWeights(w, packed, g.K, ckk);
        else if (method == ConvMethod.DirectChannels) PackChannelWeights(w, packed, g.K, ckk, ChannelWidth(g));
        else Gemm.PackAll(new StridedPackA(w, ckk, 1), packed, g.K, ckk);
    }

    private static void ForwardPacked(ReadOnlySpan<float> input, float* packed, ConvMethod method, ReadOnlySpan<float> bias, Span<float> output,
        in ConvGeometry g, bool relu, int maxThreads)
    {
        int threads = ThreadsFor(g, maxThreads);
        fixed (float* x = input, b = bias, y = output)
        {
            if (threads > 1 && g.N >= threads)
            {
                ForwardBatchParallel(x, packed, method, b, y, g, relu, threads);
            }
            else
            {
                ForwardImages(x, packed, method, b, y, g, 0, g.N, relu, threads);
            }
        }
    }

    /// <summary>Contiguous runs of images per thread, each with a single-threaded GEMM (or direct kernel).</summary>
    private static void ForwardBatchParallel(float* x, float* packed, ConvMethod method, float* b, float* y, ConvGeometry g, bool relu, int threads)
    {
        ForwardBatch batch = KernelParallel.Rent<ForwardBatch>();
        (batch.X, batch.Packed, batch.Bias, batch.Y) = ((nint)x, (nint)packed, (nint)b, (nint)y);
        (batch.Method, batch.G, batch.Relu) = (method, g, relu);
        KernelParallel.RunAndReturn(batch, threads);
    }

    /// <summary>The per-thread part of ForwardBatchParallel; cached per calling thread, so a threaded call allocates nothing once warm.</summary>
    private sealed class ForwardBatch : IParallelBody
    {
        internal nint X, Packed, Bias, Y;
        internal ConvMethod Method;
        internal bool Relu;
        internal ConvGeometry G;

        public void Invoke(int t, int parts)
        {
            ForwardImages((float*)X, (float*)Packed, Method, (float*)Bias, (float*)Y, G, t * G.N / parts, (t + 1) * G.N / parts, Relu, 1);
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

        int threads = ThreadsFor(g, maxThreads);
        int ckk = g.C * g.KH * g.KW;
        fixed (float* x = input, w = weight, dy = dOutput, dx = dInput, dw = dWeight)
        {
            // op(A)(row, k) = weight[k * CKK + row]: weight^T for dcol, packed once for all images.
            PrepackedA packedWeightT = dx == null ? default
                : Gemm.PackAll(new StridedPackA(w, 1, ckk), Scratch.Get(Scratch.WeightT, Gemm.PackedALength(ckk, g.K)), ckk, g.K);
            if (threads > 1 && g.N >= threads)
            {
                BackwardBatchParallel(x, packedWeightT, dy, dx, dw, g, threads);
            }
            else
            {
                BackwardImages(x, packedWeightT, dy, dx, dw, g, 0, g.N, threads);
            }
        }
    }

    /// <summary>
    /// Each part sums its images' dWeight into its own buffer (part 0 straight into dWeight); the
    /// partials are added in part order, so results do not depend on timing. The partials live in the
    /// calling thread's scratch and the body is cached per thread: a warm call allocates nothing.
    /// </summary>
    private static void BackwardBatchParallel(float* x, PrepackedA packedWeightT, float* dy, float* dx, float* dw, ConvGeometry g, int threads)
    {
        int wl = g.WeightLength;
        float* partials = Scratch.Get(Scratch.DWeightPartials, (long)(threads - 1) * wl); // (threads - 1, K*C*KH*KW)
        BackwardBatch batch = KernelParallel.Rent<BackwardBatch>();
        (batch.X, batch.WeightT, batch.DY, batch.DX, batch.DW, batch.Partials, batch.G) = ((nint)x, packedWeightT, (nint)dy, (nint)dx, (nint)dw, (nint)partials, g);
        KernelParallel.RunAndReturn(batch, threads);
        var dWeight = new Span<float>(dw, wl);
        for (int t = 1; t < threads; t++)
            TensorPrimitives.Add(dWeight, new ReadOnlySpan<float>(partials + (long)(t - 1) * wl, wl), dWeight);
    }

    /// <summary>The per-part work of BackwardBatchParallel: a contiguous run of images, single-threaded GEMMs.</summary>
    private sealed class BackwardBatch : IParallelBody
    {
        internal nint X, DY, DX, DW, Partials;
        internal PrepackedA WeightT;
        internal ConvGeometry G;

        public void Invoke(int t, int parts)
        {
            int wl = G.WeightLength;
            float* target = t == 0 ? (float*)DW : (float*)Partials + (long)(t - 1) * wl;
            if (t > 0) new Span<float>(target, wl).Clear();
            BackwardImages((float*)X, WeightT, (float*)DY, (float*)DX, target, G, t * G.N / parts, (t + 1) * G.N / parts, 1);
        }
    }

    /// <summary>One thread unless the whole call is big enough to pay for waking another.</summary>
    private static int ThreadsFor(in ConvGeometry g, int maxThreads)
    {
        long macs = (long)g.N * g.K * g.OH * g.OW * g.C * g.KH * g.KW;
        return Gemm.ThreadsForWork(macs, maxThreads);
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

    /// <summary>
    /// Columns an image group's GEMM aims for: 784 = 16 images of 7x7 or 4 of 14x14, whole 16-wide
    /// panels, and a packed B block (at most 320 x 784 floats) that stays in L2.
    /// </summary>
    internal const int GroupColumns = 784;

    /// <summary>Images per group for this geometry: 1 when an image alone is wide enough, and for
    /// 1x1 convolutions (whose per-image GEMM reads the image in place).</summary>
    internal static int GroupSize(in ConvGeometry g) => IsPointwise(g) ? 1 : Math.Max(1, GroupColumns / (g.OH * g.OW));

    /// <summary>Forward of images [n0, n1), group by group (the direct kernels image by image).</summary>
    private static void ForwardImages(float* x, float* packed, ConvMethod method, float* bias, float* y, in ConvGeometry g, int n0, int n1, bool relu, int threads)
    {
        int group = method == ConvMethod.Gemm ? GroupSize(g) : 1;
        for (int n = n0; n < n1; n += group)
        {
            int count = Math.Min(group, n1 - n);
            if (count == 1) ForwardImage(x, packed, method, bias, y, g, n, relu, threads);
            else ForwardGroup(x, packed, bias, y, g, n, count, relu, threads);
        }
    }

    /// <summary>
    /// Images [n0, n0 + count) as one GEMM: block (K, count*OH*OW) = weight (K, CKK) * col of the
    /// group (CKK, count*OH*OW), then each image's (K, OH*OW) slice is copied out with the bias
    /// added (and ReLU) while the block is in cache.
    /// </summary>
    private static void ForwardGroup(float* input, float* packed, float* bias, float* output, in ConvGeometry g, int n0, int count, bool relu, int threads)
    {
        int ohw = g.OH * g.OW, ckk = g.C * g.KH * g.KW, columns = count * ohw;
        long imageLength = (long)g.C * g.H * g.W;
        float* block = Scratch.Get(Scratch.GroupOutput, (long)g.K * columns);
        var weight = new PrepackedA(packed, Gemm.RoundUp(g.K, Gemm.MR));
        Gemm.Run(weight, new Im2ColPackB(Im2ColSource.For(input + n0 * imageLength, g, count)), block, columns, g.K, columns, ckk, accumulate: false, threads);
        for (int i = 0; i < count; i++)
        {
            float* y = output + (long)(n0 + i) * g.K * ohw;
            for (int k = 0; k < g.K; k++)
            {
                var src = new ReadOnlySpan<float>(block + (long)k * columns + (long)i * ohw, ohw);
                var dst = new Span<float>(y + (long)k * ohw, ohw);
                if (bias != null) TensorPrimitives.Add(src, bias[k], dst);
                else src.CopyTo(dst);
                if (relu) TensorPrimitives.Max(dst, 0f, dst);
            }
        }
    }

    /// <summary>Backward of images [n0, n1), group by group.</summary>
    private static void BackwardImages(float* x, PrepackedA weightT, float* dy, float* dx, float* dw, in ConvGeometry g, int n0, int n1, int threads)
    {
        bool directWeight = UsesDirectWeightGradient(g);
        if (directWeight)
        {
            for (int n = n0; n < n1; n++) WeightGradientDirect(x, dy, dw, g, n);
            if (dx == null) return;
        }
        float* gemmDWeight = directWeight ? null : dw;
        int group = GroupSize(g);
        for (int n = n0; n < n1; n += group)
        {
            int count = Math.Min(group, n1 - n);
            if (count == 1) BackwardImage(x, weightT, dy, dx, gemmDWeight, g, n, threads);
            else BackwardGroup(x, weightT, dy, dx, gemmDWeight, g, n, count, threads);
        }
    }

    /// <summary>
    /// Images [n0, n0 + count) at once. dOutput of the group is gathered into one block
    /// D (K, count*OH*OW); then dWeight += D * col^T over the group (a GEMM of depth count*OH*OW
    /// instead of OH*OW per image) and dcol = weight^T * D, which col2im adds into each image's dInput.
    /// </summary>
    private static void BackwardGroup(float* input, PrepackedA weightT, float* dOutput, float* dInput, float* dWeight, in ConvGeometry g, int n0, int count, int threads)
    {
        int ohw = g.OH * g.OW, ckk = g.C * g.KH * g.KW, columns = count * ohw;
        long imageLength = (long)g.C * g.H * g.W;
        float* d = Scratch.Get(Scratch.GroupDOutput, (long)g.K * columns);
        for (int i = 0; i < count; i++)
        {
            float* dy = dOutput + (long)(n0 + i) * g.K * ohw;
            for (int k = 0; k < g.K; k++)
                new ReadOnlySpan<float>(dy + (long)k * ohw, ohw).CopyTo(new Span<float>(d + (long)k * columns + (long)i * ohw, ohw));
        }
        float* x = input + n0 * imageLength;
        if (dWeight != null) Gemm.Run(new StridedPackA(d, columns, 1), new Im2ColTransposedPackB(Im2ColSource.For(x, g, count)), dWeight, ckk, g.K, ckk, columns, accumulate: true, threads);
        if (dInput == null) return;

        float* dcol = Scratch.Get(Scratch.DCol, (long)ckk * columns); // (CKK, count*OH*OW)
        Gemm.Run(weightT, new StridedPackB(d, columns, 1), dcol, columns, ckk, columns, g.K, accumulate: false, threads);
        for (int i = 0; i < count; i++) Col2ImAdd(dcol + (long)i * ohw, columns, dInput + (n0 + i) * imageLength, g);
    }

    /// <summary>1x1, stride 1, no padding: the (C, H*W) image is already the im2col matrix.</summary>
    private static bool IsPointwise(in ConvGeometry g) =>
        g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0 && g.PadBottom == 0 && g.PadRight == 0;

    private static void ForwardImage(float* input, float* packed, ConvMethod method, float* bias, float* output, in ConvGeometry g, int n, bool relu, int threads)
    {
        int ohw = g.OH * g.OW, ckk = g.C * g.KH * g.KW;
        float* x = input + (long)n * g.C * g.H * g.W; // (C, H, W)
        float* y = output + (long)n * g.K * ohw;      // (K, OH*OW)
        if (method == ConvMethod.DirectPixels)
        {
            ForwardImageDirect(x, packed, bias, y, g, relu);
            return;
        }
        if (method == ConvMethod.DirectChannels)
        {
            ForwardImageChannels(x, packed, bias, y, g, relu, threads);
            return;
        }
        if (bias != null)
        {
            // Start from the bias and let the GEMM add the products: one pass over the output.
            for (int k = 0; k < g.K; k++) new Span<float>(y + (long)k * ohw, ohw).Fill(bias[k]);
        }
        var weight = new PrepackedA(packed, Gemm.RoundUp(g.K, Gemm.MR));
        if (IsPointwise(g)) Gemm.Run(weight, new StridedPackB(x, ohw, 1), y, ohw, g.K, ohw, ckk, accumulate: bias != null, threads);
        else Gemm.Run(weight, new Im2ColPackB(Im2ColSource.For(x, g, 1)), y, ohw, g.K, ohw, ckk, accumulate: bias != null, threads);
        if (relu)
        {
            // The image's output was just written and is still in L1/L2.
            var image = new Span<float>(y, g.K * ohw);
            TensorPrimitives.Max(image, 0f, image);
        }
    }

    // ---- Direct convolution for shallow receptive fields (first layers, LeNet-5) ----
    //
    // With C*KH*KW small (LeNet-5: 25 and 150), im2col + GEMM spends its time building panels
    // from short rows. The direct kernel instead slides over a zero-padded copy of the image:
    //   y[k, oy, ox] = bias[k] + sum over (c, i, j) of w[k, c, i, j] * xpad[c, oy + i, ox + j]
    // Register tile: 6 output channels x 16 output columns of one output row = 12 Vector256
    // accumulators; per tap (c, i, j) two 8-lane loads of the padded input row, six weight
    // broadcasts and 12 FMAs. Stride 1 and dilation 1 only (every model here); other geometries
    // take the GEMM path.
    // Weights are packed [group of 6 channels][tap][6] (channels past K are zero), so one tap's six
    // broadcasts read one 24-byte run. Columns: the padded row holds at least RoundUp(OW, 16) + KW - 1
    // values, so the last 16-column block reads zeros past the image instead of branching; its
    // stores are masked to the OW - x0 valid columns. Channel rows past K are not stored.

    /// <summary>Direct kernel's channel block (the tile's rows).</summary>
    private const int DirectK = 6;

    /// <summary>
    /// Receptive-field depths (C*KH*KW) the direct kernel takes. Measured (thread CPU time, batch 1):
    /// LeNet-5's 25 and 150 run 1.4-1.5x faster direct; deeper fields run at GEMM speed, and with
    /// fewer than 16 taps (cnn3's 1-channel 3x3) the tile's per-block bias/store cost outweighs the
    /// taps, and the GEMM (whose im2col is then a cheap shifted copy) is 1.7x faster.
    /// </summary>
    internal const int DirectMinDepth = 16, DirectMaxDepth = 160;

    /// <summary>Whether Forward uses the direct kernel for this geometry (needs AVX2+FMA).</summary>
    internal static bool UsesDirect(in ConvGeometry g) =>
        Avx2.IsSupported && Fma.IsSupported && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
        && g.C * g.KH * g.KW is >= DirectMinDepth and <= DirectMaxDepth;

    private static long DirectWeightLength(in ConvGeometry g) => (long)Gemm.RoundUp(g.K, DirectK) * g.C * g.KH * g.KW;

    private static void PackDirectWeights(float* w, float* packed, int k, int ckk)
    {
        int groups = (k + DirectK - 1) / DirectK;
        for (int grp = 0; grp < groups; grp++)
            for (int tap = 0; tap < ckk; tap++)
                for (int q = 0; q < DirectK; q++)
                {
                    int channel = grp * DirectK + q;
                    packed[((long)grp * ckk + tap) * DirectK + q] = channel < k ? w[(long)channel * ckk + tap] : 0f;
                }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardImageDirect(float* x, float* packed, float* bias, float* y, in ConvGeometry g, bool relu)
    {
        int oh = g.OH, ow = g.OW, ohw = oh * ow, kh = g.KH, kw = g.KW, ckk = g.C * kh * kw;
        float* xp = PadForDirect(x, g, out int hp, out int pitch);

        Vector256<int> lane = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
        int groups = (g.K + DirectK - 1) / DirectK;
        for (int grp = 0; grp < groups; grp++)
        {
            int k0 = grp * DirectK, kb = Math.Min(DirectK, g.K - k0);
            float* wg = packed + (long)grp * ckk * DirectK;
            Vector256<float> b0 = Bias(bias, k0, kb, 0), b1 = Bias(bias, k0, kb, 1), b2 = Bias(bias, k0, kb, 2);
            Vector256<float> b3 = Bias(bias, k0, kb, 3), b4 = Bias(bias, k0, kb, 4), b5 = Bias(bias, k0, kb, 5);
            for (int oy = 0; oy < oh; oy++)
            {
                for (int x0 = 0; x0 < ow; x0 += 16)
                {
                    Vector256<float> a00 = b0, a01 = b0, a10 = b1, a11 = b1, a20 = b2, a21 = b2;
                    Vector256<float> a30 = b3, a31 = b3, a40 = b4, a41 = b4, a50 = b5, a51 = b5;
                    float* wt = wg;
                    for (int c = 0; c < g.C; c++)
                    {
                        for (int i = 0; i < kh; i++)
                        {
                            float* row = xp + ((long)c * hp + oy + i) * pitch + x0;
                            for (int j = 0; j < kw; j++)
                            {
                                Vector256<float> v0 = Avx.LoadVector256(row + j), v1 = Avx.LoadVector256(row + j + 8);
                                Vector256<float> wv = Avx.BroadcastScalarToVector256(wt);
                                a00 = Fma.MultiplyAdd(wv, v0, a00); a01 = Fma.MultiplyAdd(wv, v1, a01);
                                wv = Avx.BroadcastScalarToVector256(wt + 1);
                                a10 = Fma.MultiplyAdd(wv, v0, a10); a11 = Fma.MultiplyAdd(wv, v1, a11);
                                wv = Avx.BroadcastScalarToVector256(wt + 2);
                                a20 = Fma.MultiplyAdd(wv, v0, a20); a21 = Fma.MultiplyAdd(wv, v1, a21);
                                wv = Avx.BroadcastScalarToVector256(wt + 3);
                                a30 = Fma.MultiplyAdd(wv, v0, a30); a31 = Fma.MultiplyAdd(wv, v1, a31);
                                wv = Avx.BroadcastScalarToVector256(wt + 4);
                                a40 = Fma.MultiplyAdd(wv, v0, a40); a41 = Fma.MultiplyAdd(wv, v1, a41);
                                wv = Avx.BroadcastScalarToVector256(wt + 5);
                                a50 = Fma.MultiplyAdd(wv, v0, a50); a51 = Fma.MultiplyAdd(wv, v1, a51);
                                wt += DirectK;
                            }
                        }
                    }
                    // Lanes of the two vectors that are real output columns: ox = x0 + lane < OW.
                    int valid = ow - x0;
                    Vector256<float> m0 = Vector256.LessThan(lane, Vector256.Create(valid)).AsSingle();
                    Vector256<float> m1 = Vector256.LessThan(lane, Vector256.Create(valid - 8)).AsSingle();
                    float* o = y + (long)k0 * ohw + (long)oy * ow + x0;
                    StoreDirect(o, a00, a01, m0, m1, valid, relu);
                    if (kb > 1) StoreDirect(o + ohw, a10, a11, m0, m1, valid, relu);
                    if (kb > 2) StoreDirect(o + 2L * ohw, a20, a21, m0, m1, valid, relu);
                    if (kb > 3) StoreDirect(o + 3L * ohw, a30, a31, m0, m1, valid, relu);
                    if (kb > 4) StoreDirect(o + 4L * ohw, a40, a41, m0, m1, valid, relu);
                    if (kb > 5) StoreDirect(o + 5L * ohw, a50, a51, m0, m1, valid, relu);
                }
            }
        }

        static Vector256<float> Bias(float* bias, int k0, int kb, int q) =>
            bias != null && q < kb ? Vector256.Create(bias[k0 + q]) : Vector256<float>.Zero;
    }

    // ---- Direct convolution with output channels in the lanes (an implicit GEMM) ----
    //
    // The GEMM view of a convolution is y (K, pixels) = w (K, taps) * col (taps, pixels). Here the
    // register tile is 6 pixels x 16 channels (12 Vector256 accumulators, as the GEMM micro-kernel;
    // 6 x 32 with 12 Vector512 where AVX-512 is available, see ChannelWidth)
    // and col is never built: for tap t = (c, i, j) the value col[t, p] is xpad[p's offset + t's
    // offset] in a zero-padded copy of the image, with p's offset = oy*sH*pitch + ox*sW and t's
    // offset = c*HP*pitch + i*dH*pitch + j*dW (a table, in bytes). Per tap: two vector loads of the
    // packed weights [block of 16|32 channels][tap][16|32], six broadcasts from the six pixel pointers, 12 FMAs.
    // No packing pass and no im2col, any stride/padding/dilation; channels past K have zero weights
    // and are not stored. The tile is written through a small stack tile, channel plane by plane.
    // A threaded call (batch 1) splits the 16-channel blocks between threads.

    /// <summary>
    /// Channels per block of the channel-direct kernel: 32 (two 16-lane vectors) with AVX-512 and at
    /// least 32 channels, else 16 (two 8-lane vectors). Zen 4 runs a 512-bit FMA as two 256-bit halves,
    /// so the wide tile does not add FLOPs per cycle; it halves the loads, broadcasts and loop
    /// instructions per FMA, which is what bound the 16-channel tile (cnn3 conv3 at batch 1, one
    /// thread: 86 -> 73 us).
    /// </summary>
    internal static int ChannelWidth(in ConvGeometry g) =>
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated && g.K >= 32 ? 32 : 16;

    /// <summary>
    /// Fewest taps (C*KH*KW) for the channel-direct kernel: with fewer, the per-tile bias and stores
    /// outweigh the few FMAs per tile (cnn3 conv1, 9 taps, is faster on the GEMM).
    /// </summary>
    private const int ChannelsMinDepth = 32;

    private static void PackChannelWeights(float* w, float* packed, int k, int ckk, int width)
    {
        int blocks = (k + width - 1) / width;
        for (int b = 0; b < blocks; b++)
            for (int l = 0; l < width; l++)
            {
                int channel = b * width + l;
                float* dst = packed + (long)b * ckk * width + l;
                if (channel < k)
                {
                    float* src = w + (long)channel * ckk;
                    for (int t = 0; t < ckk; t++) dst[(long)t * width] = src[t];
                }
                else
                {
                    for (int t = 0; t < ckk; t++) dst[(long)t * width] = 0f;
                }
            }
    }

    private static void ForwardImageChannels(float* x, float* packed, float* bias, float* y, in ConvGeometry g, bool relu, int threads)
    {
        // Scalar reads only: rows need no room for whole vectors, and the narrower copy stays in L1 longer.
        float* xp = PadForDirect(x, g, out int hp, out int pitch, wideRows: false);
        int ckk = g.C * g.KH * g.KW;
        nint* taps = TapOffsets(g, hp, pitch);
        int blocks = (g.K + ChannelWidth(g) - 1) / ChannelWidth(g);
        // Threads split the channel blocks, or, with fewer blocks than threads (the shipped model's
        // 32-channel layers), the 6-pixel tiles of every block.
        int tiles = (g.OH * g.OW + 5) / 6;
        int parts = Math.Min(threads, Math.Max(blocks, tiles));
        if (parts <= 1)
        {
            ChannelBlocks(xp, pitch, taps, packed, bias, y, g, relu, 0, blocks, 0, tiles);
            return;
        }
        ChannelsBody body = KernelParallel.Rent<ChannelsBody>();
        (body.XP, body.Taps, body.Packed, body.Bias, body.Y, body.Pitch, body.Blocks, body.G, body.Relu) =
            ((nint)xp, (nint)taps, (nint)packed, (nint)bias, (nint)y, pitch, blocks, g, relu);
        KernelParallel.RunAndReturn(body, parts);
    }

    /// <summary>A threaded channel-direct call's part: a run of channel blocks. Cached per calling thread (no allocation once warm).</summary>
    private sealed class ChannelsBody : IParallelBody
    {
        internal nint XP, Taps, Packed, Bias, Y;
        internal int Pitch, Blocks;
        internal ConvGeometry G;
        internal bool Relu;

        public void Invoke(int t, int parts)
        {
            int tiles = (G.OH * G.OW + 5) / 6;
            if (Blocks >= parts) ChannelBlocks((float*)XP, Pitch, (nint*)Taps, (float*)Packed, (float*)Bias, (float*)Y, G, Relu, t * Blocks / parts, (t + 1) * Blocks / parts, 0, tiles);
            else ChannelBlocks((float*)XP, Pitch, (nint*)Taps, (float*)Packed, (float*)Bias, (float*)Y, G, Relu, 0, Blocks, t * tiles / parts, (t + 1) * tiles / parts);
        }
    }

    /// <summary>Channel blocks [block0, block1) over the 6-pixel tiles [tile0, tile1).</summary>
    [SkipLocalsInit]
    private static void ChannelBlocks(float* xp, int pitch, nint* taps, float* packed, float* bias, float* y, in ConvGeometry g,
        bool relu, int block0, int block1, int tile0, int tile1)
    {
        int width = ChannelWidth(g), ckk = g.C * g.KH * g.KW, ow = g.OW, ohw = g.OH * ow;
        long rowStep = (long)g.StrideH * pitch;
        int columnStep = g.StrideW;
        float* tile = stackalloc float[6 * 32];
        float* blockBias = stackalloc float[32];
        for (int b = block0; b < block1; b++)
        {
            int k0 = b * width, kb = Math.Min(width, g.K - k0);
            float* wb = packed + (long)b * ckk * width;
            for (int l = 0; l < width; l++) blockBias[l] = bias != null && l < kb ? bias[k0 + l] : 0f;
            for (int p0 = tile0 * 6, pEnd = Math.Min(ohw, tile1 * 6); p0 < pEnd; p0 += 6)
            {
                int rows = Math.Min(6, ohw - p0);
                // Pixel pointers; rows past the last pixel repeat it (computed, never stored).
                float* x0 = Pixel(p0), x1 = Pixel(p0 + Math.Min(1, rows - 1)), x2 = Pixel(p0 + Math.Min(2, rows - 1));
                float* x3 = Pixel(p0 + Math.Min(3, rows - 1)), x4 = Pixel(p0 + Math.Min(4, rows - 1)), x5 = Pixel(p0 + Math.Min(5, rows - 1));
                if (width == 32) Tile32(ckk, taps, wb, blockBias, x0, x1, x2, x3, x4, x5, relu, tile);
                else Tile16(ckk, taps, wb, blockBias, x0, x1, x2, x3, x4, x5, relu, tile);
                // Channel l's six pixels are neighbours in y: column l of the tile.
                float* o0 = y + (long)k0 * ohw + p0;
                for (int l = 0; l < kb; l++, o0 += ohw)
                    for (int r = 0; r < rows; r++) o0[r] = tile[r * width + l];
            }
        }

        float* Pixel(int p)
        {
            int oy = p / ow;
            return xp + oy * rowStep + (long)(p - oy * ow) * columnStep;
        }
    }

    // ---- Convolution fused with the 2x2 stride-2 max pool after it (inference) ----
    //
    // The channel-direct scheme with a tile of two pooling windows (8 conv pixels, 2 x 2 each) x 32
    // channels (16 Vector512 accumulators, AVX-512): after the taps, each window's four pixels are
    // compared (in the max pool's order: top left, top right, bottom left, bottom right; a later one
    // wins only when strictly greater), the optional ReLU applied, and only the pooled values stored.
    // The conv output is never written, and conv pixels that the floor-mode pool drops (the last row
    // and column of an odd plane, such as cnn3's 7x7) are never computed.

    /// <summary>
    /// Whether <see cref="ForwardMaxPooled"/> can run this convolution: the 32-channel AVX-512 tile, so at
    /// least 32 output channels; any number of taps (cnn3's 9-tap conv1 too: fused, it skips writing and
    /// re-reading a full-size output, which at batch 256 is 25 MB). Weights packed for DirectChannels.
    /// </summary>
    internal static bool CanFuseMaxPool(in ConvGeometry g) =>
        Avx2.IsSupported && Fma.IsSupported && ChannelWidth(g) == 32 && g.OH >= 2 && g.OW >= 2;

    /// <summary>
    /// Conv (weights packed by <see cref="PackWeights(ReadOnlySpan{float}, in ConvGeometry, ConvMethod)"/>) [+ ReLU] then a 2x2 stride-2 max pool without
    /// padding: <paramref name="pooled"/> is (N, K, OH / 2, OW / 2).
    /// </summary>
    internal static void ForwardMaxPooled(ReadOnlySpan<float> input, ConvWeights weight, ReadOnlySpan<float> bias, Span<float> pooled,
        in ConvGeometry g, bool relu, int maxThreads)
    {
        Check(g, input.Length, g.WeightLength, g.OutputLength);
        if (!weight.Fits(g) || weight.Method != ConvMethod.DirectChannels || !CanFuseMaxPool(g)) throw new ArgumentException($"weights packed for {weight.Geometry} cannot run a pooled convolution {g}.");
        if (!bias.IsEmpty && bias.Length < g.K) throw new ArgumentException($"bias holds {bias.Length} values, the convolution has {g.K} output channels.");
        int ph = g.OH / 2, pw = g.OW / 2;
        if (pooled.Length < (long)g.N * g.K * ph * pw) throw new ArgumentException($"pooled output holds {pooled.Length} values, needs {(long)g.N * g.K * ph * pw}.");
        int threads = ThreadsFor(g, maxThreads);
        fixed (float* x = input, b = bias, y = pooled)
        {
            if (threads > 1 && g.N >= threads)
            {
                PooledBody body = KernelParallel.Rent<PooledBody>();
                (body.X, body.Packed, body.Bias, body.Y, body.G, body.Relu) = ((nint)x, (nint)weight.Pointer, (nint)b, (nint)y, g, relu);
                KernelParallel.RunAndReturn(body, threads);
            }
            else
            {
                for (int n = 0; n < g.N; n++) ForwardImagePooled(x, weight.Pointer, b, y, g, n, relu, threads);
            }
        }
    }

    /// <summary>A batch's images split between threads; cached per calling thread (no allocation once warm).</summary>
    private sealed class PooledBody : IParallelBody
    {
        internal nint X, Packed, Bias, Y;
        internal ConvGeometry G;
        internal bool Relu;

        public void Invoke(int t, int parts)
        {
            for (int n = t * G.N / parts; n < (t + 1) * G.N / parts; n++)
                ForwardImagePooled((float*)X, (float*)Packed, (float*)Bias, (float*)Y, G, n, Relu, 1);
        }
    }

    private static void ForwardImagePooled(float* input, float* packed, float* bias, float* output, in ConvGeometry g, int n, bool relu, int threads)
    {
        int ph = g.OH / 2, pw = g.OW / 2;
        float* xp = PadForDirect(input + (long)n * g.C * g.H * g.W, g, out int hp, out int pitch, wideRows: false);
        nint* taps = TapOffsets(g, hp, pitch);
        float* y = output + (long)n * g.K * ph * pw;
        int blocks = (g.K + 31) / 32, pairs = (ph * pw + 1) / 2;
        int parts = Math.Min(threads, Math.Max(blocks, pairs));
        if (parts <= 1)
        {
            PooledBlocks(xp, pitch, taps, packed, bias, y, g, relu, 0, blocks, 0, pairs);
            return;
        }
        PooledImageBody body = KernelParallel.Rent<PooledImageBody>();
        (body.XP, body.Taps, body.Packed, body.Bias, body.Y, body.Pitch, body.Blocks, body.Pairs, body.G, body.Relu) =
            ((nint)xp, (nint)taps, (nint)packed, (nint)bias, (nint)y, pitch, blocks, pairs, g, relu);
        KernelParallel.RunAndReturn(body, parts);
    }

    /// <summary>One image's channel blocks, or its window pairs when there are fewer blocks than threads.</summary>
    private sealed class PooledImageBody : IParallelBody
    {
        internal nint XP, Taps, Packed, Bias, Y;
        internal int Pitch, Blocks, Pairs;
        internal ConvGeometry G;
        internal bool Relu;

        public void Invoke(int t, int parts)
        {
            if (Blocks >= parts) PooledBlocks((float*)XP, Pitch, (nint*)Taps, (float*)Packed, (float*)Bias, (float*)Y, G, Relu, t * Blocks / parts, (t + 1) * Blocks / parts, 0, Pairs);
            else PooledBlocks((float*)XP, Pitch, (nint*)Taps, (float*)Packed, (float*)Bias, (float*)Y, G, Relu, 0, Blocks, t * Pairs / parts, (t + 1) * Pairs / parts);
        }
    }

    /// <summary>Channel blocks [block0, block1) of 32 over the window pairs [pair0, pair1).</summary>
    [SkipLocalsInit]
    private static void PooledBlocks(float* xp, int pitch, nint* taps, float* packed, float* bias, float* y, in ConvGeometry g,
        bool relu, int block0, int block1, int pair0, int pair1)
    {
        const int Width = 32;
        int ckk = g.C * g.KH * g.KW, ph = g.OH / 2, pw = g.OW / 2, windows = ph * pw;
        long rowStep = (long)g.StrideH * pitch;
        int columnStep = g.StrideW;
        float* tile = stackalloc float[2 * Width];
        float* blockBias = stackalloc float[Width];
        for (int b = block0; b < block1; b++)
        {
            int k0 = b * Width, kb = Math.Min(Width, g.K - k0);
            float* wb = packed + (long)b * ckk * Width;
            for (int l = 0; l < Width; l++) blockBias[l] = bias != null && l < kb ? bias[k0 + l] : 0f;
            for (int pair = pair0; pair < pair1; pair++)
            {
                int w0 = 2 * pair, w1 = Math.Min(w0 + 1, windows - 1); // a last odd window is computed twice, stored once
                float* a = Window(w0), c = Window(w1);
                TilePooled32(ckk, taps, wb, blockBias, a, a + columnStep, a + rowStep, a + rowStep + columnStep,
                    c, c + columnStep, c + rowStep, c + rowStep + columnStep, relu, tile);
                float* o = y + (long)k0 * windows + w0;
                int count = w1 > w0 ? 2 : 1;
                for (int l = 0; l < kb; l++, o += windows)
                {
                    o[0] = tile[l];
                    if (count == 2) o[1] = tile[Width + l];
                }
            }
        }

        // Top-left conv pixel of pooling window w: conv pixel (2 * wy, 2 * wx).
        float* Window(int w)
        {
            int wy = w / pw;
            return xp + 2 * wy * rowStep + (long)(2 * (w - wy * pw)) * columnStep;
        }
    }

    /// <summary>Two pooling windows x 32 channels: eight conv pixels' taps, then each window's max (and ReLU) into tile[2][32].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TilePooled32(int ckk, nint* taps, float* w, float* blockBias,
        float* p0, float* p1, float* p2, float* p3, float* q0, float* q1, float* q2, float* q3, bool relu, float* tile)
    {
        const int Width = 32;
        Vector512<float> bias0 = Avx512F.LoadVector512(blockBias), bias1 = Avx512F.LoadVector512(blockBias + 16);
        Vector512<float> a00 = bias0, a01 = bias1, a10 = bias0, a11 = bias1, a20 = bias0, a21 = bias1, a30 = bias0, a31 = bias1;
        Vector512<float> b00 = bias0, b01 = bias1, b10 = bias0, b11 = bias1, b20 = bias0, b21 = bias1, b30 = bias0, b31 = bias1;
        for (nint* tap = taps, end = taps + ckk; tap < end; tap++, w += Width)
        {
            nint o = *tap; // in bytes
            Vector512<float> w0 = Avx512F.LoadVector512(w), w1 = Avx512F.LoadVector512(w + 16);
            Vector512<float> v = Vector512.Create(*(float*)((byte*)p0 + o));
            a00 = Avx512F.FusedMultiplyAdd(v, w0, a00); a01 = Avx512F.FusedMultiplyAdd(v, w1, a01);
            v = Vector512.Create(*(float*)((byte*)p1 + o));
            a10 = Avx512F.FusedMultiplyAdd(v, w0, a10); a11 = Avx512F.FusedMultiplyAdd(v, w1, a11);
            v = Vector512.Create(*(float*)((byte*)p2 + o));
            a20 = Avx512F.FusedMultiplyAdd(v, w0, a20); a21 = Avx512F.FusedMultiplyAdd(v, w1, a21);
            v = Vector512.Create(*(float*)((byte*)p3 + o));
            a30 = Avx512F.FusedMultiplyAdd(v, w0, a30); a31 = Avx512F.FusedMultiplyAdd(v, w1, a31);
            v = Vector512.Create(*(float*)((byte*)q0 + o));
            b00 = Avx512F.FusedMultiplyAdd(v, w0, b00); b01 = Avx512F.FusedMultiplyAdd(v, w1, b01);
            v = Vector512.Create(*(float*)((byte*)q1 + o));
            b10 = Avx512F.FusedMultiplyAdd(v, w0, b10); b11 = Avx512F.FusedMultiplyAdd(v, w1, b11);
            v = Vector512.Create(*(float*)((byte*)q2 + o));
            b20 = Avx512F.FusedMultiplyAdd(v, w0, b20); b21 = Avx512F.FusedMultiplyAdd(v, w1, b21);
            v = Vector512.Create(*(float*)((byte*)q3 + o));
            b30 = Avx512F.FusedMultiplyAdd(v, w0, b30); b31 = Avx512F.FusedMultiplyAdd(v, w1, b31);
        }
        // Max(later, best): the later pixel wins only when strictly greater, as in the max pool's loop.
        Vector512<float> m0 = Avx512F.Max(a30, Avx512F.Max(a20, Avx512F.Max(a10, a00)));
        Vector512<float> m1 = Avx512F.Max(a31, Avx512F.Max(a21, Avx512F.Max(a11, a01)));
        Vector512<float> n0 = Avx512F.Max(b30, Avx512F.Max(b20, Avx512F.Max(b10, b00)));
        Vector512<float> n1 = Avx512F.Max(b31, Avx512F.Max(b21, Avx512F.Max(b11, b01)));
        if (relu)
        {
            var zero = Vector512<float>.Zero;
            m0 = Avx512F.Max(zero, m0); m1 = Avx512F.Max(zero, m1); n0 = Avx512F.Max(zero, n0); n1 = Avx512F.Max(zero, n1);
        }
        Avx512F.Store(tile, m0); Avx512F.Store(tile + 16, m1); Avx512F.Store(tile + Width, n0); Avx512F.Store(tile + Width + 16, n1);
    }

    /// <summary>This thread's table of tap byte offsets into the padded image (C, HP, pitch).</summary>
    private static nint* TapOffsets(in ConvGeometry g, int hp, int pitch)
    {
        int ckk = g.C * g.KH * g.KW;
        nint* taps = (nint*)Scratch.Get(Scratch.TapOffsets, 2L * ckk);
        for (int c = 0, t = 0; c < g.C; c++)
            for (int i = 0; i < g.KH; i++)
                for (int j = 0; j < g.KW; j++, t++)
                    taps[t] = ((nint)(c * hp + i * g.DilationH) * pitch + j * g.DilationW) * sizeof(float);
        return taps;
    }

    /// <summary>One 6-pixel x 16-channel tile (2 Vector256 per pixel): bias, every tap, optional ReLU, into tile[6][16].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile16(int ckk, nint* taps, float* w, float* blockBias, float* x0, float* x1, float* x2, float* x3, float* x4, float* x5,
        bool relu, float* tile)
    {
        const int Width = 16;
        Vector256<float> bias0 = Avx.LoadVector256(blockBias), bias1 = Avx.LoadVector256(blockBias + 8);
        Vector256<float> a00 = bias0, a01 = bias1, a10 = bias0, a11 = bias1, a20 = bias0, a21 = bias1;
        Vector256<float> a30 = bias0, a31 = bias1, a40 = bias0, a41 = bias1, a50 = bias0, a51 = bias1;
        for (nint* tap = taps, end = taps + ckk; tap < end; tap++, w += Width)
        {
            nint o = *tap; // in bytes
            Vector256<float> w0 = Avx.LoadVector256(w), w1 = Avx.LoadVector256(w + 8);
            Vector256<float> v = Avx.BroadcastScalarToVector256((float*)((byte*)x0 + o));
            a00 = Fma.MultiplyAdd(v, w0, a00); a01 = Fma.MultiplyAdd(v, w1, a01);
            v = Avx.BroadcastScalarToVector256((float*)((byte*)x1 + o));
            a10 = Fma.MultiplyAdd(v, w0, a10); a11 = Fma.MultiplyAdd(v, w1, a11);
            v = Avx.BroadcastScalarToVector256((float*)((byte*)x2 + o));
            a20 = Fma.MultiplyAdd(v, w0, a20); a21 = Fma.MultiplyAdd(v, w1, a21);
            v = Avx.BroadcastScalarToVector256((float*)((byte*)x3 + o));
            a30 = Fma.MultiplyAdd(v, w0, a30); a31 = Fma.MultiplyAdd(v, w1, a31);
            v = Avx.BroadcastScalarToVector256((float*)((byte*)x4 + o));
            a40 = Fma.MultiplyAdd(v, w0, a40); a41 = Fma.MultiplyAdd(v, w1, a41);
            v = Avx.BroadcastScalarToVector256((float*)((byte*)x5 + o));
            a50 = Fma.MultiplyAdd(v, w0, a50); a51 = Fma.MultiplyAdd(v, w1, a51);
        }
        if (relu)
        {
            // max(0, v) with v second: vmaxps returns its second operand for NaN, so NaN stays NaN.
            var zero = Vector256<float>.Zero;
            a00 = Avx.Max(zero, a00); a01 = Avx.Max(zero, a01); a10 = Avx.Max(zero, a10); a11 = Avx.Max(zero, a11);
            a20 = Avx.Max(zero, a20); a21 = Avx.Max(zero, a21); a30 = Avx.Max(zero, a30); a31 = Avx.Max(zero, a31);
            a40 = Avx.Max(zero, a40); a41 = Avx.Max(zero, a41); a50 = Avx.Max(zero, a50); a51 = Avx.Max(zero, a51);
        }
        Avx.Store(tile, a00); Avx.Store(tile + 8, a01); Avx.Store(tile + 16, a10); Avx.Store(tile + 24, a11);
        Avx.Store(tile + 32, a20); Avx.Store(tile + 40, a21); Avx.Store(tile + 48, a30); Avx.Store(tile + 56, a31);
        Avx.Store(tile + 64, a40); Avx.Store(tile + 72, a41); Avx.Store(tile + 80, a50); Avx.Store(tile + 88, a51);
    }

    /// <summary>One 6-pixel x 32-channel tile (2 Vector512 per pixel, AVX-512), as Tile16, into tile[6][32].</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile32(int ckk, nint* taps, float* w, float* blockBias, float* x0, float* x1, float* x2, float* x3, float* x4, float* x5,
        bool relu, float* tile)
    {
        const int Width = 32;
        Vector512<float> bias0 = Avx512F.LoadVector512(blockBias), bias1 = Avx512F.LoadVector512(blockBias + 16);
        Vector512<float> a00 = bias0, a01 = bias1, a10 = bias0, a11 = bias1, a20 = bias0, a21 = bias1;
        Vector512<float> a30 = bias0, a31 = bias1, a40 = bias0, a41 = bias1, a50 = bias0, a51 = bias1;
        for (nint* tap = taps, end = taps + ckk; tap < end; tap++, w += Width)
        {
            nint o = *tap; // in bytes
            Vector512<float> w0 = Avx512F.LoadVector512(w), w1 = Avx512F.LoadVector512(w + 16);
            Vector512<float> v = Vector512.Create(*(float*)((byte*)x0 + o));
            a00 = Avx512F.FusedMultiplyAdd(v, w0, a00); a01 = Avx512F.FusedMultiplyAdd(v, w1, a01);
            v = Vector512.Create(*(float*)((byte*)x1 + o));
            a10 = Avx512F.FusedMultiplyAdd(v, w0, a10); a11 = Avx512F.FusedMultiplyAdd(v, w1, a11);
            v = Vector512.Create(*(float*)((byte*)x2 + o));
            a20 = Avx512F.FusedMultiplyAdd(v, w0, a20); a21 = Avx512F.FusedMultiplyAdd(v, w1, a21);
            v = Vector512.Create(*(float*)((byte*)x3 + o));
            a30 = Avx512F.FusedMultiplyAdd(v, w0, a30); a31 = Avx512F.FusedMultiplyAdd(v, w1, a31);
            v = Vector512.Create(*(float*)((byte*)x4 + o));
            a40 = Avx512F.FusedMultiplyAdd(v, w0, a40); a41 = Avx512F.FusedMultiplyAdd(v, w1, a41);
            v = Vector512.Create(*(float*)((byte*)x5 + o));
            a50 = Avx512F.FusedMultiplyAdd(v, w0, a50); a51 = Avx512F.FusedMultiplyAdd(v, w1, a51);
        }
        if (relu)
        {
            // max(0, v) with v second, as Tile16 (NaN stays NaN).
            var zero = Vector512<float>.Zero;
            a00 = Avx512F.Max(zero, a00); a01 = Avx512F.Max(zero, a01); a10 = Avx512F.Max(zero, a10); a11 = Avx512F.Max(zero, a11);
            a20 = Avx512F.Max(zero, a20); a21 = Avx512F.Max(zero, a21); a30 = Avx512F.Max(zero, a30); a31 = Avx512F.Max(zero, a31);
            a40 = Avx512F.Max(zero, a40); a41 = Avx512F.Max(zero, a41); a50 = Avx512F.Max(zero, a50); a51 = Avx512F.Max(zero, a51);
        }
        Avx512F.Store(tile, a00); Avx512F.Store(tile + 16, a01); Avx512F.Store(tile + 32, a10); Avx512F.Store(tile + 48, a11);
        Avx512F.Store(tile + 64, a20); Avx512F.Store(tile + 80, a21); Avx512F.Store(tile + 96, a30); Avx512F.Store(tile + 112, a31);
        Avx512F.Store(tile + 128, a40); Avx512F.Store(tile + 144, a41); Avx512F.Store(tile + 160, a50); Avx512F.Store(tile + 176, a51);
    }

    /// <summary>
    /// The image with its zero border, (C, HP, pitch) in this thread's scratch. With
    /// <paramref name="wideRows"/> the rows are wide enough (pitch >= RoundUp(OW, 16) + KW - 1, zeros
    /// past the border) that the pixel-direct kernels' whole 8- and 16-lane reads along a row never leave it.
    /// </summary>
    private static float* PadForDirect(float* x, in ConvGeometry g, out int hp, out int pitch, bool wideRows = true)
    {
        hp = g.H + g.PadTop + g.PadBottom;
        pitch = g.W + g.PadLeft + g.PadRight;
        if (wideRows) pitch = Math.Max(pitch, Gemm.RoundUp(g.OW, 16) + g.KW - 1);
        float* xp = Scratch.Get(Scratch.DirectInput, (long)g.C * hp * pitch);
        new Span<float>(xp, g.C * hp * pitch).Clear();
        for (int c = 0; c < g.C; c++)
            for (int iy = 0; iy < g.H; iy++)
                new ReadOnlySpan<float>(x + ((long)c * g.H + iy) * g.W, g.W).CopyTo(new Span<float>(xp + ((long)c * hp + g.PadTop + iy) * pitch + g.PadLeft, g.W));
        return xp;
    }

    // ---- Direct weight gradient for shallow layers (first layers, LeNet-5) ----
    //
    //   dw[k, c, i, j] += sum over (oy, ox) of dy[k, oy, ox] * xpad[c, oy + i, ox + j]
    // With few output channels (6, 16, 32) the GEMM dWeight = dy * col^T uses each packed im2col
    // value for only K multiply-adds, so packing costs as much as the product. Here nothing is
    // packed: for one (k, c, i) and 8 output columns at a time, one dy vector multiplies KW shifted
    // input vectors into KW accumulators, summed across lanes at the end. The last vector of a row
    // loads dy masked to the valid columns (zeros elsewhere), so the padded input's extra columns
    // only ever meet zeros. Stride 1, dilation 1, KW of 3 or 5, AVX2+FMA.

    /// <summary>
    /// Whether Backward computes dWeight with <see cref="WeightGradientDirect"/>: stride 1, KW 3 or 5,
    /// C*KH*KW at most <see cref="DirectMaxDepth"/>, at most 32 output channels (with more, the GEMM
    /// reuses its packing enough) and rows of at least 24 columns (narrower rows waste most of the
    /// masked last vector). Measured, batch 128: LeNet-5 conv1 1.55 -> 0.55 ms, cnn3 conv1 2.1 -> 1.3 ms;
    /// LeNet-5 conv2 (10 columns) is slower direct (2.5 vs 2.15 ms) and stays on the GEMM.
    /// </summary>
    internal static bool UsesDirectWeightGradient(in ConvGeometry g) =>
        Avx2.IsSupported && Fma.IsSupported && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
        && g.KW is 3 or 5 && g.C * g.KH * g.KW <= DirectMaxDepth && g.K <= 32 && g.OW >= 24;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientDirect(float* input, float* dOutput, float* dWeight, in ConvGeometry g, int n)
    {
        int oh = g.OH, ow = g.OW, ohw = oh * ow;
        float* xp = PadForDirect(input + (long)n * g.C * g.H * g.W, g, out int hp, out int pitch);
        float* dy = dOutput + (long)n * g.K * ohw;
        int full = ow / 8, rest = ow - full * 8;
        Vector256<float> restMask = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(rest)).AsSingle();
        for (int k = 0; k < g.K; k++)
        {
            float* dyk = dy + (long)k * ohw;
            for (int c = 0; c < g.C; c++)
            {
                for (int i = 0; i < g.KH; i++)
                {
                    float* w = dWeight + (((long)k * g.C + c) * g.KH + i) * g.KW;
                    float* rows = xp + ((long)c * hp + i) * pitch; // row oy + i of channel c at rows + oy * pitch
                    Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default;
                    for (int oy = 0; oy < oh; oy++)
                    {
                        float* d = dyk + oy * ow;
                        float* r = rows + (long)oy * pitch;
                        for (int v = 0; v <= full; v++)
                        {
                            Vector256<float> dv;
                            if (v < full) dv = Avx.LoadVector256(d + v * 8);
                            else if (rest > 0) dv = Avx.MaskLoad(d + v * 8, restMask);
                            else break;
                            float* rv = r + v * 8;
                            a0 = Fma.MultiplyAdd(dv, Avx.LoadVector256(rv), a0);
                            a1 = Fma.MultiplyAdd(dv, Avx.LoadVector256(rv + 1), a1);
                            a2 = Fma.MultiplyAdd(dv, Avx.LoadVector256(rv + 2), a2);
                            if (g.KW == 5)
                            {
                                a3 = Fma.MultiplyAdd(dv, Avx.LoadVector256(rv + 3), a3);
                                a4 = Fma.MultiplyAdd(dv, Avx.LoadVector256(rv + 4), a4);
                            }
                        }
                    }
                    w[0] += Vector256.Sum(a0);
                    w[1] += Vector256.Sum(a1);
                    w[2] += Vector256.Sum(a2);
                    if (g.KW == 5)
                    {
                        w[3] += Vector256.Sum(a3);
                        w[4] += Vector256.Sum(a4);
                    }
                }
            }
        }
    }

    /// <summary>Writes the first min(valid, 16) columns of one output row block (ReLU first when asked);
    /// a partial block uses masked stores, which never touch the masked-off columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreDirect(float* o, Vector256<float> lo, Vector256<float> hi, Vector256<float> m0, Vector256<float> m1, int valid, bool relu)
    {
        if (relu)
        {
            // max(0, v) with v second: vmaxps returns its second operand for NaN, so NaN stays NaN as in TensorPrimitives.Max.
            lo = Avx.Max(Vector256<float>.Zero, lo);
            hi = Avx.Max(Vector256<float>.Zero, hi);
        }
        if (valid >= 16)
        {
            Avx.Store(o, lo);
            Avx.Store(o + 8, hi);
            return;
        }
        Avx.MaskStore(o, m0, lo);
        if (valid > 8) Avx.MaskStore(o + 8, m1, hi);
    }

    private static void BackwardImage(float* input, PrepackedA weightT, float* dOutput, float* dInput, float* dWeight, in ConvGeometry g, int n, int threads)
    {
        int ohw = g.OH * g.OW, ckk = g.C * g.KH * g.KW;
        float* x = input + (long)n * g.C * g.H * g.W; // (C, H, W)
        float* dy = dOutput + (long)n * g.K * ohw;    // (K, OH*OW)
        bool pointwise = IsPointwise(g);
        // dWeight (K, CKK) += dy (K, OHW) * col^T (OHW, CKK); null when the direct kernel did it.
        var dyA = new StridedPackA(dy, ohw, 1);
        if (dWeight == null) { }
        else if (pointwise) Gemm.Run(dyA, new StridedPackB(x, 1, ohw), dWeight, ckk, g.K, ckk, ohw, accumulate: true, threads);
        else Gemm.Run(dyA, new Im2ColTransposedPackB(Im2ColSource.For(x, g, 1)), dWeight, ckk, g.K, ckk, ohw, accumulate: true, threads);
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
        Col2ImAdd(dcol, ohw, dx, g);
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

    /// <summary>
    /// Where the im2col packers read a group of images (column q of the group's im2col matrix =
    /// image q / (OH*OW), pixel q % (OH*OW)). With unit column stride and SIMD, the group is first
    /// copied once with its zero border (C, HP, WP per image): every im2col row is then a series of
    /// plain runs of OW values, one per output row, copied 8 lanes at a time with no bounds tests
    /// (the last vector of a run may spill up to 7 values past it, into what is written next or
    /// Scratch's slack). Otherwise rows are read from the images directly (<see cref="ReadIm2ColRow"/>).
    /// </summary>
    internal readonly struct Im2ColSource
    {
        private readonly float* _x, _padded;
        private readonly int _hp, _wp;
        private readonly ConvGeometry _g;

        private Im2ColSource(float* x, float* padded, int hp, int wp, in ConvGeometry g)
        {
            _x = x;
            _padded = padded;
            (_hp, _wp, _g) = (hp, wp, g);
        }

        /// <summary>The <paramref name="count"/> images from <paramref name="x"/> on; pads them into this thread's scratch when that pays.</summary>
        public static Im2ColSource For(float* x, in ConvGeometry g, int count)
        {
            if (g.StrideW != 1 || !Vector256.IsHardwareAccelerated) return new Im2ColSource(x, null, 0, 0, g);
            int hp = g.H + g.PadTop + g.PadBottom, wp = g.W + g.PadLeft + g.PadRight;
            long planes = (long)count * g.C;
            float* padded = Scratch.Get(Scratch.PaddedInput, planes * hp * wp);
            for (long plane = 0; plane < planes; plane++)
            {
                float* src = x + plane * g.H * g.W, dst = padded + plane * hp * wp;
                new Span<float>(dst, g.PadTop * wp).Clear();
                for (int iy = 0; iy < g.H; iy++)
                {
                    float* d = dst + (long)(g.PadTop + iy) * wp;
                    new Span<float>(d, g.PadLeft).Clear();
                    new ReadOnlySpan<float>(src + (long)iy * g.W, g.W).CopyTo(new Span<float>(d + g.PadLeft, g.W));
                    new Span<float>(d + g.PadLeft + g.W, g.PadRight).Clear();
                }
                new Span<float>(dst + (long)(g.PadTop + g.H) * wp, g.PadBottom * wp).Clear();
            }
            return new Im2ColSource(x, padded, hp, wp, g);
        }

        /// <summary>Entries [column, column + count) of im2col row <paramref name="row"/> = (c, i, j), contiguously into dst.</summary>
        public void ReadRow(int row, int column, int count, float* dst)
        {
            ConvGeometry g = _g;
            int ohw = g.OH * g.OW;
            int n = column / ohw, pixel = column - n * ohw;
            if (_padded == null)
            {
                for (; count > 0; n++, pixel = 0)
                {
                    int take = Math.Min(count, ohw - pixel);
                    ReadIm2ColRow(_x + (long)n * g.C * g.H * g.W, g, row, pixel, take, dst);
                    dst += take;
                    count -= take;
                }
                return;
            }
            int khkw = g.KH * g.KW;
            int c = row / khkw, rest = row - c * khkw, i = rest / g.KW, j = rest - i * g.KW;
            int ow = g.OW, rowStep = g.StrideH * _wp;
            long imageLength = (long)g.C * _hp * _wp;
            // Output pixel (oy, ox) of image n reads padded[n][c][oy * sH + i * dH][ox + j * dW].
            float* origin = _padded + (long)c * _hp * _wp + (long)i * g.DilationH * _wp + j * g.DilationW;
            for (; count > 0; n++, pixel = 0)
            {
                int oy = pixel / ow, ox = pixel - oy * ow;
                int take = Math.Min(count, ohw - pixel);
                float* src = origin + n * imageLength + (long)oy * rowStep;
                count -= take;
                while (take > 0)
                {
                    int run = Math.Min(ow - ox, take);
                    for (int t = 0; t < run; t += 8) Vector256.Store(Vector256.Load(src + ox + t), dst + t);
                    dst += run;
                    take -= run;
                    ox = 0;
                    src += rowStep;
                }
            }
        }
    }

    /// <summary>B = col (CKK, G*OH*OW) of a group of G images, packed into NR-wide panels straight from the images.</summary>
    internal readonly struct Im2ColPackB(Im2ColSource source) : IPackB
    {
        public void Pack(float* dst, int p0, int kc, int j0, int nc)
        {
            // Each im2col row segment is first built contiguously in an L1-sized scratch row (fast
            // block copies), then dealt out to the panels 16 floats at a time; a partial last panel
            // gets zeros past nc (cleared after each row: ReadRow may spill past its end).
            const int NR = Gemm.NR;
            float* row = Scratch.Get(Scratch.Im2ColRow, Gemm.RoundUp(nc, NR));
            int tail = Gemm.RoundUp(nc, NR) - nc;
            for (int p = 0; p < kc; p++)
            {
                source.ReadRow(p0 + p, j0, nc, row);
                if (tail > 0) new Span<float>(row + nc, tail).Clear();
                float* d = dst + p * NR;
                for (int jp = 0; jp < nc; jp += NR) Unsafe.CopyBlockUnaligned(d + (long)jp * kc, row + jp, NR * sizeof(float));
            }
        }
    }

    /// <summary>B = col^T (G*OH*OW, CKK) of a group of G images: panel lane l holds im2col row j0 + l along the group's pixels.</summary>
    internal readonly struct Im2ColTransposedPackB(Im2ColSource source) : IPackB
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
                for (int l = 0; l < cols; l++) source.ReadRow(j0 + jp + l, p0, kc, rows + (long)l * stride);
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

    /// <summary>The adjoint of im2col: adds every col entry (row r at col + r * rowStride) back onto the input cell it was read from.</summary>
    internal static void Col2ImAdd(float* col, int rowStride, float* dx, in ConvGeometry g)
    {
        if (g.StrideW == 1 && Avx.IsSupported)
        {
            Col2ImAddPadded(col, rowStride, dx, g);
            return;
        }
        int oh = g.OH, ow = g.OW, ohw = oh * ow, sw = g.StrideW;
        for (int c = 0; c < g.C; c++)
            for (int i = 0; i < g.KH; i++)
                for (int j = 0; j < g.KW; j++)
                {
                    float* row = col + (long)((c * g.KH + i) * g.KW + j) * rowStride;
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

    /// <summary>
    /// Col2ImAdd for unit column stride: every col row adds, output row by output row, a run of OW
    /// values into a zero-initialised padded accumulator (C, HP, pitch) with whole 8-lane vectors (the
    /// last one loads col masked, so the lanes past the run add zeros), and the accumulator's interior
    /// is added into dx at the end. No bounds tests in the loop and no call per run: a 7x7 plane's
    /// runs are 7 values, far too short for a library call each.
    /// </summary>
    private static void Col2ImAddPadded(float* col, int rowStride, float* dx, in ConvGeometry g)
    {
        int oh = g.OH, ow = g.OW;
        int hp = g.H + g.PadTop + g.PadBottom;
        int pitch = Math.Max(g.W + g.PadLeft + g.PadRight, Gemm.RoundUp(ow, 8) + (g.KW - 1) * g.DilationW);
        long planeLength = (long)hp * pitch;
        float* acc = Scratch.Get(Scratch.Col2ImAccumulator, g.C * planeLength);
        new Span<float>(acc, (int)(g.C * planeLength)).Clear();
        int full = ow / 8, rest = ow - full * 8;
        Vector256<float> restMask = Vector256.LessThan(Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7), Vector256.Create(rest)).AsSingle();
        for (int c = 0; c < g.C; c++)
            for (int i = 0; i < g.KH; i++)
                for (int j = 0; j < g.KW; j++)
                {
                    float* src = col + (long)((c * g.KH + i) * g.KW + j) * rowStride;
                    // Output pixel (oy, ox) came from padded cell (oy * sH + i * dH, ox + j * dW).
                    float* dst = acc + c * planeLength + (long)i * g.DilationH * pitch + j * g.DilationW;
                    for (int oy = 0; oy < oh; oy++, src += ow, dst += (long)g.StrideH * pitch)
                    {
                        int v = 0;
                        for (; v < full * 8; v += 8) Avx.Store(dst + v, Avx.Add(Avx.LoadVector256(dst + v), Avx.LoadVector256(src + v)));
                        if (rest > 0) Avx.Store(dst + v, Avx.Add(Avx.LoadVector256(dst + v), Avx.MaskLoad(src + v, restMask)));
                    }
                }
        for (int c = 0; c < g.C; c++)
            for (int iy = 0; iy < g.H; iy++)
            {
                var target = new Span<float>(dx + ((long)c * g.H + iy) * g.W, g.W);
                TensorPrimitives.Add(target, new ReadOnlySpan<float>(acc + c * planeLength + (long)(g.PadTop + iy) * pitch + g.PadLeft, g.W), target);
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

/// <summary>
/// Convolution weights packed once for <see cref="Conv2dKernel.Forward(ReadOnlySpan{float}, ConvWeights, ReadOnlySpan{float}, Span{float}, in ConvGeometry, bool, int)"/>:
/// the GEMM's A panels, or the direct kernels' channel blocks. Pinned, read-only after packing, so
/// any number of threads may share one. The batch size N of the geometry does not matter.
/// </summary>
internal sealed unsafe class ConvWeights
{
    private readonly float[] _storage;

    internal ConvWeights(in ConvGeometry g, ConvMethod method, long length)
    {
        Geometry = g with { N = 0 };
        Method = method;
        _storage = GC.AllocateArray<float>(checked((int)length + 32), pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_storage));
        Pointer = (float*)((p + 63) & ~(nint)63);
    }

    /// <summary>The geometry the weights were packed for, with N = 0.</summary>
    public ConvGeometry Geometry { get; }

    /// <summary>The forward method the weights are packed for.</summary>
    public ConvMethod Method { get; }

    internal float* Pointer { get; }

    public bool Fits(in ConvGeometry g) => Geometry == (g with { N = 0 });
}

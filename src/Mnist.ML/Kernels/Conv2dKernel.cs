// 2-D convolution kernels (group 1): forward for the executor and trainer, backward for the trainer.
// Shapes: input (N, C, H, W), weight (K, C, KH, KW), bias (K), output (N, K, OH, OW).
// Backward adds into dInput / dWeight / dBias (only the trainer zeroes gradient buffers).
namespace Mnist.ML.Kernels;

internal static class Conv2dKernel
{
    public static void Forward(
        ReadOnlySpan<float> input,  // (N, C, H, W)
        ReadOnlySpan<float> weight, // (K, C, KH, KW)
        ReadOnlySpan<float> bias,   // (K) or empty for no bias
        Span<float> output,         // (N, K, OH, OW)
        in ConvGeometry g)
    {
        ForwardNaive(input, weight, bias, output, g);
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
        BackwardNaive(input, weight, dOutput, dInput, dWeight, dBias, g);
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

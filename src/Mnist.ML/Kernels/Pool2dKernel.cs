// 2-D max and average pooling. Shapes: input (N, C, H, W), output (N, C, OH, OW) with the window in
// ConvGeometry (K == C, KH/KW the window). Max pooling records the flat input index of each maximum
// (argmax) for the trainer's backward; padding cells never win a max.
namespace Mnist.ML.Kernels;

internal static class Pool2dKernel
{
    public static void MaxForward(
        ReadOnlySpan<float> input, // (N, C, H, W)
        Span<float> output,        // (N, C, OH, OW)
        Span<int> argmax,          // (N, C, OH, OW) flat input index of the max, or empty to skip
        in ConvGeometry g)
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
    public static void MaxBackward(ReadOnlySpan<float> dOutput, ReadOnlySpan<int> argmax, Span<float> dInput)
    {
        for (int o = 0; o < dOutput.Length; o++) dInput[argmax[o]] += dOutput[o];
    }

    /// <summary>Average pooling; padding cells count in the divisor only when <paramref name="countIncludePad"/>.</summary>
    public static void AverageForward(ReadOnlySpan<float> input, Span<float> output, in ConvGeometry g, bool countIncludePad = false)
    {
        int oh = g.OH, ow = g.OW;
        for (int nc = 0; nc < g.N * g.C; nc++)
        for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
        {
            float sum = 0f;
            int count = 0;
            for (int i = 0; i < g.KH; i++)
            {
                int iy = y * g.StrideH - g.PadTop + i * g.DilationH;
                for (int j = 0; j < g.KW; j++)
                {
                    int ix = x * g.StrideW - g.PadLeft + j * g.DilationW;
                    bool inside = (uint)iy < (uint)g.H && (uint)ix < (uint)g.W;
                    if (inside) sum += input[(nc * g.H + iy) * g.W + ix];
                    if (inside || (countIncludePad && iy < g.H + g.PadBottom && ix < g.W + g.PadRight)) count++;
                }
            }
            output[(nc * oh + y) * ow + x] = count == 0 ? 0f : sum / count;
        }
    }

    /// <summary>Spreads each output gradient evenly over its window (same divisor rule as forward).</summary>
    public static void AverageBackward(ReadOnlySpan<float> dOutput, Span<float> dInput, in ConvGeometry g, bool countIncludePad = false)
    {
        int oh = g.OH, ow = g.OW;
        for (int nc = 0; nc < g.N * g.C; nc++)
        for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++)
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
}

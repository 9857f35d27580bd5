// The accurate integer 8x8 inverse DCT of libjpeg (jidctint.c, jpeg_idct_islow), so our pixels match libjpeg's.
// Fixed point: 13 fractional bits for constants, 2 extra bits kept between the column and row passes.
namespace Mnist.ML.Imaging;

internal static class JpegIdct
{
    private const int ConstBits = 13;
    private const int Pass1Bits = 2;
    private const int Fix0_298631336 = 2446;
    private const int Fix0_390180644 = 3196;
    private const int Fix0_541196100 = 4433;
    private const int Fix0_765366865 = 6270;
    private const int Fix0_899976223 = 7373;
    private const int Fix1_175875602 = 9633;
    private const int Fix1_501321110 = 12299;
    private const int Fix1_847759065 = 15137;
    private const int Fix1_961570560 = 16069;
    private const int Fix2_053119869 = 16819;
    private const int Fix2_562915447 = 20995;
    private const int Fix3_072711026 = 25172;

    /// <summary>Dequantises a block (natural order) and writes 8x8 samples (level-shifted, clamped) at output with the given stride.</summary>
    public static void Islow(ReadOnlySpan<short> coeffs, int[] quant, Span<byte> output, int stride)
    {
        Span<int> ws = stackalloc int[64];
        // Pass 1: columns, input -> work array, scaled up by 2^Pass1Bits.
        for (int col = 0; col < 8; col++)
        {
            if (coeffs[8 + col] == 0 && coeffs[16 + col] == 0 && coeffs[24 + col] == 0 && coeffs[32 + col] == 0 &&
                coeffs[40 + col] == 0 && coeffs[48 + col] == 0 && coeffs[56 + col] == 0)
            {
                int dc = coeffs[col] * quant[col] << Pass1Bits;
                for (int r = 0; r < 8; r++)
                {
                    ws[r * 8 + col] = dc;
                }
                continue;
            }
            Kernel(
                coeffs[col] * quant[col], coeffs[8 + col] * quant[8 + col], coeffs[16 + col] * quant[16 + col], coeffs[24 + col] * quant[24 + col],
                coeffs[32 + col] * quant[32 + col], coeffs[40 + col] * quant[40 + col], coeffs[48 + col] * quant[48 + col], coeffs[56 + col] * quant[56 + col],
                ConstBits - Pass1Bits, ws, col, 8);
        }
        // Pass 2: rows, work array -> samples; descale by 2^(ConstBits + Pass1Bits + 3) and add 128.
        Span<int> row = stackalloc int[8];
        for (int r = 0; r < 8; r++)
        {
            Span<int> w = ws.Slice(r * 8, 8);
            Kernel(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], ConstBits + Pass1Bits + 3, row, 0, 1);
            Span<byte> o = output.Slice(r * stride, 8);
            for (int i = 0; i < 8; i++)
            {
                int v = row[i] + 128;
                o[i] = (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    }

    /// <summary>One 8-point IDCT (the Loeffler-Ligtenberg-Moschytz flow graph libjpeg uses), descaled by 2^shift with rounding.</summary>
    private static void Kernel(int i0, int i1, int i2, int i3, int i4, int i5, int i6, int i7, int shift, Span<int> output, int start, int step)
    {
        // Even part.
        int z1 = (i2 + i6) * Fix0_541196100;
        int tmp2 = z1 + i6 * -Fix1_847759065;
        int tmp3 = z1 + i2 * Fix0_765366865;
        int tmp0 = (i0 + i4) << ConstBits;
        int tmp1 = (i0 - i4) << ConstBits;
        int tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

        // Odd part.
        tmp0 = i7;
        tmp1 = i5;
        tmp2 = i3;
        tmp3 = i1;
        z1 = tmp0 + tmp3;
        int z2 = tmp1 + tmp2, z3 = tmp0 + tmp2, z4 = tmp1 + tmp3;
        int z5 = (z3 + z4) * Fix1_175875602;
        tmp0 *= Fix0_298631336;
        tmp1 *= Fix2_053119869;
        tmp2 *= Fix3_072711026;
        tmp3 *= Fix1_501321110;
        z1 *= -Fix0_899976223;
        z2 *= -Fix2_562915447;
        z3 = z3 * -Fix1_961570560 + z5;
        z4 = z4 * -Fix0_390180644 + z5;
        tmp0 += z1 + z3;
        tmp1 += z2 + z4;
        tmp2 += z2 + z3;
        tmp3 += z1 + z4;

        int round = 1 << (shift - 1);
        output[start] = (tmp10 + tmp3 + round) >> shift;
        output[start + 7 * step] = (tmp10 - tmp3 + round) >> shift;
        output[start + 1 * step] = (tmp11 + tmp2 + round) >> shift;
        output[start + 6 * step] = (tmp11 - tmp2 + round) >> shift;
        output[start + 2 * step] = (tmp12 + tmp1 + round) >> shift;
        output[start + 5 * step] = (tmp12 - tmp1 + round) >> shift;
        output[start + 3 * step] = (tmp13 + tmp0 + round) >> shift;
        output[start + 4 * step] = (tmp13 - tmp0 + round) >> shift;
    }
}

// The shape arithmetic of a 2-D convolution or pooling window, shared by Conv2d, the pools and the
// ONNX executor. N batch, C input channels, H/W input size, K output channels, KH/KW kernel size.
namespace Mnist.ML.Kernels;

/// <summary>Geometry of a 2-D sliding window (convolution or pooling) over an (N, C, H, W) tensor.</summary>
internal readonly record struct ConvGeometry(
    int N, int C, int H, int W,
    int K, int KH, int KW,
    int StrideH = 1, int StrideW = 1,
    int PadTop = 0, int PadLeft = 0, int PadBottom = 0, int PadRight = 0,
    int DilationH = 1, int DilationW = 1)
{
    /// <summary>Output height: floor((H + pads - dilated kernel) / stride) + 1.</summary>
    public int OH => (H + PadTop + PadBottom - (DilationH * (KH - 1) + 1)) / StrideH + 1;

    /// <summary>Output width.</summary>
    public int OW => (W + PadLeft + PadRight - (DilationW * (KW - 1) + 1)) / StrideW + 1;

    public int InputLength => N * C * H * W;
    public int OutputLength => N * K * OH * OW;
    public int WeightLength => K * C * KH * KW;
}

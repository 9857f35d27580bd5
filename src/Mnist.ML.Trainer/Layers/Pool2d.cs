// MaxPool2d and AvgPool2d layers over square windows (no padding). Max pooling saves the argmax of
// each output for backward; average pooling spreads the gradient evenly over the window.
// Shapes: input (N, C, H, W), output (N, C, OH, OW), OH = floor((H - k) / s) + 1.
using Mnist.ML.Kernels;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Layers;

/// <summary>Shared shape logic of the two pooling layers.</summary>
internal abstract class Pool2d(TensorShape input, int kernelSize, int stride)
    : Layer(input, new TensorShape(input.Channels, (input.Height - kernelSize) / stride + 1, (input.Width - kernelSize) / stride + 1))
{
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride;
    public int Padding => 0;

    protected ConvGeometry Geometry(int batch) => new(
        batch, InputShape.Channels, InputShape.Height, InputShape.Width, InputShape.Channels, KernelSize, KernelSize, Stride, Stride);

    protected string StrideSuffix => Stride != KernelSize ? $"s{Stride}" : "";
}

internal sealed class MaxPool2d(TensorShape input, int kernelSize, int stride) : Pool2d(input, kernelSize, stride)
{
    private int[] _argmax = []; // (N, C, OH, OW) flat input index of each max, saved by Forward

    public override string SpecToken => $"pool{KernelSize}{StrideSuffix}";

    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int batch, bool training, Rng? rng)
    {
        _argmax = Grow(_argmax, output.Length);
        Pool2dKernel.MaxForward(input, output, _argmax.AsSpan(0, output.Length), Geometry(batch));
    }

    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput, int batch)
    {
        if (!dInput.IsEmpty) Pool2dKernel.MaxBackward(dOutput, _argmax.AsSpan(0, dOutput.Length), dInput);
    }
}

internal sealed class AvgPool2d(TensorShape input, int kernelSize, int stride) : Pool2d(input, kernelSize, stride)
{
    public override string SpecToken => $"avgpool{KernelSize}{StrideSuffix}";

    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int batch, bool training, Rng? rng) =>
        Pool2dKernel.AverageForward(input, output, Geometry(batch));

    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput, int batch)
    {
        if (!dInput.IsEmpty) Pool2dKernel.AverageBackward(dOutput, dInput, Geometry(batch));
    }
}

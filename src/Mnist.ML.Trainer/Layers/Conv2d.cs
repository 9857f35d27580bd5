// Conv2d layer: square kernel, symmetric padding, with bias. Forward / Backward call the shared
// kernels in Mnist.ML.Kernels (Conv2dKernel), which the executor uses too.
// Shapes: input (N, C, H, W), weight (K, C, k, k), bias (K), output (N, K, OH, OW).
using Mnist.ML.Kernels;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Layers;

internal sealed class Conv2d : Layer
{
    public Conv2d(TensorShape input, int outChannels, int kernelSize, int stride, int padding)
        : base(input, OutputOf(input, outChannels, kernelSize, stride, padding))
    {
        InChannels = input.Channels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }

    public ParameterSlice WeightSlice { get; private set; } = null!;
    public ParameterSlice BiasSlice { get; private set; } = null!;

    public Span<float> Weight => Params.AsSpan(WeightSlice.Offset, WeightSlice.Length);   // (K, C, k, k)
    public Span<float> Bias => Params.AsSpan(BiasSlice.Offset, BiasSlice.Length);         // (K)
    public Span<float> DWeight => Grads.AsSpan(WeightSlice.Offset, WeightSlice.Length);
    public Span<float> DBias => Grads.AsSpan(BiasSlice.Offset, BiasSlice.Length);

    public override string SpecToken =>
        $"conv{OutChannels}k{KernelSize}" + (Stride != 1 ? $"s{Stride}" : "") + (Padding != 0 ? $"p{Padding}" : "");

    public override int ParameterCount => OutChannels * InChannels * KernelSize * KernelSize + OutChannels;

    public override void Bind(float[] parameters, float[] gradients, int parameterOffset, float[] buffers, int bufferOffset)
    {
        base.Bind(parameters, gradients, parameterOffset, buffers, bufferOffset);
        Slices.Clear();
        WeightSlice = AddSlice("weight", parameterOffset, [OutChannels, InChannels, KernelSize, KernelSize]);
        BiasSlice = AddSlice("bias", parameterOffset + WeightSlice.Length, [OutChannels]);
    }

    public override void Initialize(Rng rng, WeightInit init) =>
        InitWeights(Weight, Bias, InChannels * KernelSize * KernelSize, OutChannels * KernelSize * KernelSize, rng, init);

    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int batch, bool training, Rng? rng) =>
        Conv2dKernel.Forward(input, Weight, Bias, output, Geometry(batch));

    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput, int batch) =>
        Conv2dKernel.Backward(input, Weight, dOutput, dInput, DWeight, DBias, Geometry(batch));

    private ConvGeometry Geometry(int batch) => new(
        batch, InputShape.Channels, InputShape.Height, InputShape.Width, OutChannels, KernelSize, KernelSize,
        Stride, Stride, Padding, Padding, Padding, Padding);

    private static TensorShape OutputOf(TensorShape input, int outChannels, int kernelSize, int stride, int padding)
    {
        var g = new ConvGeometry(1, input.Channels, input.Height, input.Width, outChannels, kernelSize, kernelSize,
            stride, stride, padding, padding, padding, padding);
        return new TensorShape(outChannels, g.OH, g.OW);
    }
}

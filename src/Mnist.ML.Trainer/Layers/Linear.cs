// Linear (fully connected) layer, PyTorch layout: y = x W^T + b.
// Shapes: input (N, in), weight (out, in), bias (out), output (N, out). All three products are GEMMs.
using Mnist.ML.Kernels;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Layers;

internal sealed class Linear(TensorShape input, int outFeatures) : Layer(input, new TensorShape(outFeatures, 1, 1))
{
    public int InFeatures { get; } = input.Size;
    public int OutFeatures { get; } = outFeatures;

    public ParameterSlice WeightSlice { get; private set; } = null!;
    public ParameterSlice BiasSlice { get; private set; } = null!;

    public Span<float> Weight => Params.AsSpan(WeightSlice.Offset, WeightSlice.Length);   // (out, in)
    public Span<float> Bias => Params.AsSpan(BiasSlice.Offset, BiasSlice.Length);         // (out)
    public Span<float> DWeight => Grads.AsSpan(WeightSlice.Offset, WeightSlice.Length);
    public Span<float> DBias => Grads.AsSpan(BiasSlice.Offset, BiasSlice.Length);

    public override string SpecToken => $"fc{OutFeatures}";

    public override int ParameterCount => OutFeatures * InFeatures + OutFeatures;

    public override void Bind(float[] parameters, float[] gradients, int parameterOffset, float[] buffers, int bufferOffset)
    {
        base.Bind(parameters, gradients, parameterOffset, buffers, bufferOffset);
        Slices.Clear();
        WeightSlice = AddSlice("weight", parameterOffset, [OutFeatures, InFeatures]);
        BiasSlice = AddSlice("bias", parameterOffset + WeightSlice.Length, [OutFeatures]);
    }

    public override void Initialize(Rng rng, WeightInit init) => InitWeights(Weight, Bias, InFeatures, OutFeatures, rng, init);

    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int batch, bool training, Rng? rng)
    {
        // output (N, out) = input (N, in) * W^T (in, out), then + b on every row
        Gemm.Multiply(input, Weight, output, batch, OutFeatures, InFeatures, transposeB: true);
        ReadOnlySpan<float> bias = Bias;
        for (int n = 0; n < batch; n++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(output.Slice(n * OutFeatures, OutFeatures), bias, output.Slice(n * OutFeatures, OutFeatures));
        }
    }

    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput, int batch)
    {
        // dW (out, in) += dOutput^T (out, N) * input (N, in)
        Gemm.Multiply(dOutput, input, DWeight, OutFeatures, InFeatures, batch, transposeA: true, accumulate: true);
        Span<float> dBias = DBias;
        for (int n = 0; n < batch; n++)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(dBias, dOutput.Slice(n * OutFeatures, OutFeatures), dBias);
        }
        // dInput (N, in) += dOutput (N, out) * W (out, in)
        if (!dInput.IsEmpty) Gemm.Multiply(dOutput, Weight, dInput, batch, InFeatures, OutFeatures, accumulate: true);
    }
}

// The layer contract: a Forward / Backward pair over a batch, named slices of the network's flat
// parameter and gradient buffers, and what forward saved for backward as fields of the layer.
// Shapes are per sample (C, H, W); a batch is N samples one after another.
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Layers;

/// <summary>Per-sample tensor shape (channels, height, width); flat features are (F, 1, 1).</summary>
internal readonly record struct TensorShape(int Channels, int Height, int Width)
{
    public int Size => Channels * Height * Width;

    public bool IsFlat => Height == 1 && Width == 1;

    public override string ToString() => IsFlat ? $"({Channels})" : $"({Channels}, {Height}, {Width})";
}

/// <summary>A named tensor inside the network's flat parameter (or buffer) array, e.g. "0.weight".</summary>
internal sealed record ParameterSlice(string Name, int Offset, int Length, int[] Shape, bool Trainable);

/// <summary>How weights are drawn before training; biases start at zero except for <see cref="PyTorchDefault"/>.</summary>
public enum WeightInit
{
    /// <summary>He (Kaiming) normal, fan-in, ReLU gain: std = sqrt(2 / fan_in). The default.</summary>
    He,

    /// <summary>Xavier (Glorot) uniform: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)).</summary>
    Xavier,

    /// <summary>PyTorch's default for Conv2d / Linear: weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)).</summary>
    PyTorchDefault,
}

/// <summary>
/// One layer of a <see cref="Network"/>. Forward writes the whole output; Backward ADDS into dInput
/// and into the parameter gradients (only the trainer zeroes them). Not thread-safe: a layer keeps
/// what its last forward saved for backward.
/// </summary>
internal abstract class Layer(TensorShape inputShape, TensorShape outputShape)
{
    /// <summary>Per-sample input shape.</summary>
    public TensorShape InputShape { get; } = inputShape;

    /// <summary>Per-sample output shape.</summary>
    public TensorShape OutputShape { get; } = outputShape;

    /// <summary>Position in the network; parameter names start with it ("3.weight"), like nn.Sequential.</summary>
    public int Index { get; internal set; }

    /// <summary>This layer's token in the network spec grammar, e.g. "conv32k3p1".</summary>
    public abstract string SpecToken { get; }

    /// <summary>Trainable values this layer owns in the flat parameter buffer.</summary>
    public virtual int ParameterCount => 0;

    /// <summary>Non-trainable values (BatchNorm running statistics) in the flat buffer array.</summary>
    public virtual int BufferCount => 0;

    /// <summary>Named slices, offsets relative to the network's flat arrays (set by Bind).</summary>
    public List<ParameterSlice> Slices { get; } = [];

    protected float[] Params = [];
    protected float[] Grads = [];
    protected float[] Buffers = [];

    /// <summary>Gives the layer its slices of the network's flat arrays.</summary>
    public virtual void Bind(float[] parameters, float[] gradients, int parameterOffset, float[] buffers, int bufferOffset)
    {
        Params = parameters;
        Grads = gradients;
        Buffers = buffers;
    }

    /// <summary>Draws initial weights.</summary>
    public virtual void Initialize(Rng rng, WeightInit init) { }

    /// <summary>output (N, out) from input (N, in). <paramref name="rng"/> is needed by dropout in training.</summary>
    public abstract void Forward(ReadOnlySpan<float> input, Span<float> output, int batch, bool training, Rng? rng);

    /// <summary>Adds dLoss/dInput into <paramref name="dInput"/> (empty: skip) and parameter gradients into the flat gradient buffer.</summary>
    public abstract void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput, int batch);

    protected ParameterSlice AddSlice(string name, int offset, int[] shape, bool trainable = true)
    {
        int length = 1;
        foreach (int d in shape) length *= d;
        var slice = new ParameterSlice($"{Index}.{name}", offset, length, shape, trainable);
        Slices.Add(slice);
        return slice;
    }

    /// <summary>Fills weights (and biases) of a conv / linear layer by the chosen scheme.</summary>
    protected static void InitWeights(Span<float> weight, Span<float> bias, int fanIn, int fanOut, Rng rng, WeightInit init)
    {
        switch (init)
        {
            case WeightInit.He:
                double std = Math.Sqrt(2.0 / fanIn);
                for (int i = 0; i < weight.Length; i++) weight[i] = (float)(rng.Normal() * std);
                bias.Clear();
                break;
            case WeightInit.Xavier:
                double a = Math.Sqrt(6.0 / (fanIn + fanOut));
                for (int i = 0; i < weight.Length; i++) weight[i] = (float)rng.Uniform(-a, a);
                bias.Clear();
                break;
            default:
                double b = 1.0 / Math.Sqrt(fanIn);
                for (int i = 0; i < weight.Length; i++) weight[i] = (float)rng.Uniform(-b, b);
                for (int i = 0; i < bias.Length; i++) bias[i] = (float)rng.Uniform(-b, b);
                break;
        }
    }

    protected static T[] Grow<T>(T[] buffer, int length) => buffer.Length >= length ? buffer : new T[length];
}

// A sequential CNN: its layers in order, one flat parameter buffer and one flat gradient buffer with
// named slices per layer (plus a flat buffer of non-trainable state such as BatchNorm running
// statistics), and the activation buffers of the last forward pass that backward reads.
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Layers;

/// <summary>
/// A sequential convolutional network built from a <see cref="NetworkSpec"/> or a
/// <see cref="NetworkBuilder"/>. Holds its weights in one flat buffer. Not thread-safe: forward passes
/// reuse internal activation buffers, so use one network per thread.
/// </summary>
public sealed class Network
{
    private float[][] _activations = [];  // per step: (N, out) output of the last forward
    private float[][] _dActivations = []; // per step: (N, out) dLoss/dOutput during backward
    private int _capacity;

    internal Network(TensorShape input, IReadOnlyList<Layer> layers, string spec, int seed, WeightInit init)
    {
        InputShape = input;
        Layers = layers;
        Spec = spec;
        int parameterCount = 0, bufferCount = 0;
        foreach (var layer in layers)
        {
            parameterCount += layer.ParameterCount;
            bufferCount += layer.BufferCount;
        }
        Parameters = new float[parameterCount];
        Gradients = new float[parameterCount];
        Buffers = new float[bufferCount];
        int p = 0, b = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            layers[i].Index = i;
            layers[i].Bind(Parameters, Gradients, p, Buffers, b);
            p += layers[i].ParameterCount;
            b += layers[i].BufferCount;
        }
        var rng = new Rng((ulong)seed);
        foreach (var layer in layers) layer.Initialize(rng, init);
        Steps = ExecutionOrder(layers);
    }

    /// <summary>
    /// The layers as forward and backward run them: each ReLU directly followed by a max pool runs
    /// after it instead, on the pooled (4x smaller) tensor. max(relu(x)) = relu(max(x)) exactly, and
    /// the gradient reaches the same input cell (the window's first maximum; when that maximum is not
    /// positive, both orders pass no gradient), so results are identical; only the work shrinks.
    /// </summary>
    private static Layer[] ExecutionOrder(IReadOnlyList<Layer> layers)
    {
        var steps = new List<Layer>(layers.Count);
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is ReLU && i + 1 < layers.Count && layers[i + 1] is MaxPool2d pool)
            {
                steps.Add(pool);
                steps.Add(new ReLU(pool.OutputShape));
                i++;
                continue;
            }
            steps.Add(layers[i]);
        }
        return [.. steps];
    }

    /// <summary>The spec this network was built from, e.g. "conv6k5p2-relu-pool2-...".</summary>
    public string Spec { get; }

    /// <summary>Number of trainable values.</summary>
    public int ParameterCount => Parameters.Length;

    /// <summary>Per-sample input size (784 for 1x28x28).</summary>
    public int InputSize => InputShape.Size;

    /// <summary>Per-sample output size (10 classes for MNIST).</summary>
    public int OutputSize => Layers[^1].OutputShape.Size;

    internal TensorShape InputShape { get; }

    /// <summary>The layers in order; an exporter walks these and reads their slices.</summary>
    internal IReadOnlyList<Layer> Layers { get; }

    /// <summary>What Forward / Backward run: <see cref="Layers"/> with ReLU-then-max-pool pairs swapped (<see cref="ExecutionOrder"/>).</summary>
    private Layer[] Steps { get; }

    /// <summary>All trainable values, layer after layer (slice offsets in each layer's Slices).</summary>
    internal float[] Parameters { get; }

    /// <summary>dLoss/dParameters, same layout; backward adds into it, the trainer zeroes it.</summary>
    internal float[] Gradients { get; }

    /// <summary>Non-trainable state (BatchNorm running mean / var).</summary>
    internal float[] Buffers { get; }

    /// <summary>Every named tensor ("0.weight", "3.running_mean", ...) in layer order, PyTorch nn.Sequential names.</summary>
    internal IEnumerable<ParameterSlice> Slices => Layers.SelectMany(l => l.Slices);

    /// <summary>Class probabilities (N, OutputSize) for <paramref name="count"/> images, in evaluation mode.</summary>
    public float[] PredictProbabilities(ReadOnlySpan<float> images, int count)
    {
        var probabilities = new float[count * OutputSize];
        const int chunk = 256;
        var labels = new byte[chunk];
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            var logits = Forward(images.Slice(start * InputSize, n * InputSize), n, training: false);
            SoftmaxCrossEntropy.Forward(logits, labels.AsSpan(0, n), probabilities.AsSpan(start * OutputSize, n * OutputSize), n, OutputSize);
        }
        return probabilities;
    }

    /// <summary>Logits (N, OutputSize) for <paramref name="count"/> images, in evaluation mode: what the exported "logits" output gives at temperature 1.</summary>
    public float[] PredictLogits(ReadOnlySpan<float> images, int count)
    {
        var logits = new float[count * OutputSize];
        const int chunk = 256;
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            Forward(images.Slice(start * InputSize, n * InputSize), n, training: false).CopyTo(logits.AsSpan(start * OutputSize, n * OutputSize));
        }
        return logits;
    }

    /// <summary>Runs the layers over a batch; returns the logits (N, OutputSize), valid until the next call.</summary>
    internal ReadOnlySpan<float> Forward(ReadOnlySpan<float> input, int batch, bool training, Rng? rng = null)
    {
        if (input.Length != batch * InputSize) throw new ArgumentException($"Expected {batch} x {InputSize} input values, got {input.Length}.", nameof(input));
        EnsureCapacity(batch);
        ReadOnlySpan<float> x = input;
        for (int i = 0; i < Steps.Length; i++)
        {
            var y = _activations[i].AsSpan(0, batch * Steps[i].OutputShape.Size);
            Steps[i].Forward(x, y, batch, training, rng);
            x = y;
        }
        return x;
    }

    /// <summary>Backpropagates dLoss/dLogits through the last forward; adds into <see cref="Gradients"/>.</summary>
    internal void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> dLogits, int batch, Span<float> dInput = default)
    {
        for (int i = Steps.Length - 1; i >= 0; i--)
        {
            var layer = Steps[i];
            ReadOnlySpan<float> dOut = i == Steps.Length - 1 ? dLogits : _dActivations[i].AsSpan(0, batch * layer.OutputShape.Size);
            ReadOnlySpan<float> x = i == 0 ? input : _activations[i - 1].AsSpan(0, batch * layer.InputShape.Size);
            Span<float> dIn = default;
            if (i > 0)
            {
                dIn = _dActivations[i - 1].AsSpan(0, batch * layer.InputShape.Size);
                dIn.Clear();
            }
            else if (!dInput.IsEmpty)
            {
                dIn = dInput;
            }
            layer.Backward(x, _activations[i].AsSpan(0, batch * layer.OutputShape.Size), dOut, dIn, batch);
        }
    }

    internal void ZeroGradients() => Array.Clear(Gradients);

    private void EnsureCapacity(int batch)
    {
        if (batch <= _capacity) return;
        _activations = new float[Steps.Length][];
        _dActivations = new float[Steps.Length][];
        for (int i = 0; i < Steps.Length; i++)
        {
            _activations[i] = new float[batch * Steps[i].OutputShape.Size];
            _dActivations[i] = new float[batch * Steps[i].OutputShape.Size];
        }
        _capacity = batch;
    }
}

// Parameter-free layers that keep the shape (ReLU, Dropout) or only reinterpret it (Flatten).
// Shapes: input and output (N, S) with S the per-sample size.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Layers;

internal sealed class ReLU(TensorShape input) : Layer(input, input)
{
    public override string SpecToken => "relu";

    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int batch, bool training, Rng? rng) =>
        TensorPrimitives.Max(input, 0f, output);

    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput, int batch)
    {
        if (dInput.IsEmpty) return;
        BackwardSimd(output, dOutput, dInput);
    }

    /// <summary>dInput += output > 0 ? dOutput : 0, as PyTorch's threshold_backward on the result.</summary>
    internal static void BackwardNaive(ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        for (int i = 0; i < dOutput.Length; i++)
        {
            if (output[i] > 0f) dInput[i] += dOutput[i];
        }
    }

    /// <summary>
    /// Branch-free version: Vector&lt;float&gt; lanes over consecutive elements, a compare mask selects
    /// dOutput or 0; the remainder (fewer than Vector&lt;float&gt;.Count elements) takes the naive loop.
    /// </summary>
    internal static void BackwardSimd(ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var outV = MemoryMarshal.Cast<float, Vector<float>>(output.Slice(0, dOutput.Length));
            var dOutV = MemoryMarshal.Cast<float, Vector<float>>(dOutput);
            var dInV = MemoryMarshal.Cast<float, Vector<float>>(dInput.Slice(0, dOutput.Length));
            for (int v = 0; v < dOutV.Length; v++)
            {
                var positive = Vector.GreaterThan(outV[v], Vector<float>.Zero);
                dInV[v] += Vector.ConditionalSelect(positive, dOutV[v], Vector<float>.Zero);
            }
            i = dOutV.Length * Vector<float>.Count;
        }
        BackwardNaive(output[i..dOutput.Length], dOutput[i..], dInput[i..dOutput.Length]);
    }
}

/// <summary>Inverted dropout: in training zeroes each value with probability P and scales the rest by 1/(1-P); identity in evaluation.</summary>
internal sealed class Dropout(TensorShape input, float probability) : Layer(input, input)
{
    private float[] _mask = []; // (N, S): 0 or 1/(1-P), saved by a training forward
    private bool _maskActive;

    public float Probability { get; } = probability;

    public override string SpecToken => $"drop{Probability.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}";

    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int batch, bool training, Rng? rng)
    {
        _maskActive = training && Probability > 0f;
        if (!_maskActive)
        {
            input.CopyTo(output);
            return;
        }
        if (rng is null) throw new InvalidOperationException("Dropout in training mode needs a random source.");
        _mask = Grow(_mask, input.Length);
        float scale = 1f / (1f - Probability);
        // One uniform draw per element, in order (NextFloats = NextFloat in a loop), then the mask.
        var mask = _mask.AsSpan(0, input.Length);
        rng.NextFloats(mask);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            // Branch-free: the draws are random, so a branch per element mispredicts often.
            var maskV = MemoryMarshal.Cast<float, Vector<float>>(mask);
            var p = new Vector<float>(Probability);
            var keep = new Vector<float>(scale);
            for (int v = 0; v < maskV.Length; v++) maskV[v] = Vector.ConditionalSelect(Vector.LessThan(maskV[v], p), Vector<float>.Zero, keep);
            i = maskV.Length * Vector<float>.Count;
        }
        for (; i < mask.Length; i++) mask[i] = mask[i] < Probability ? 0f : scale;
        TensorPrimitives.Multiply(input, mask, output);
    }

    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput, int batch)
    {
        if (dInput.IsEmpty) return;
        if (_maskActive) TensorPrimitives.MultiplyAdd(dOutput, _mask.AsSpan(0, dOutput.Length), dInput, dInput);
        else TensorPrimitives.Add(dInput, dOutput, dInput);
    }
}

/// <summary>(N, C, H, W) to (N, C*H*W): the memory is already in that order, so forward copies and backward adds.</summary>
internal sealed class Flatten(TensorShape input) : Layer(input, new TensorShape(input.Size, 1, 1))
{
    public override string SpecToken => "flatten";

    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int batch, bool training, Rng? rng) => input.CopyTo(output);

    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput, int batch)
    {
        if (!dInput.IsEmpty) TensorPrimitives.Add(dInput, dOutput, dInput);
    }
}

// An ONNX model checked to be a digit classifier ([N,1,28,28] float in, [N,10] float out) and run in
// chunks: the piece of MnistPredictor that knows about tensors, kept apart from image handling.
using Mnist.ML.Onnx;

namespace Mnist.ML;

internal sealed class DigitModel
{
    internal const int Side = 28;
    internal const int Pixels = Side * Side;
    internal const int Classes = 10;

    private readonly int _outputIndex;
    private readonly int? _fixedBatch;

    private DigitModel(OnnxModel model, int outputIndex, bool outputIsProbabilities, int? fixedBatch)
    {
        Onnx = model;
        _outputIndex = outputIndex;
        OutputIsProbabilities = outputIsProbabilities;
        _fixedBatch = fixedBatch;
    }

    public OnnxModel Onnx { get; }

    /// <summary>True when the only usable output is already a Softmax (then it is used as is, not softmaxed twice).</summary>
    public bool OutputIsProbabilities { get; }

    public string InputName => Onnx.Inputs[0].Name;

    public string OutputName => Onnx.Outputs[_outputIndex].Name;

    /// <summary>Checks that the model maps [N,1,28,28] float to [N,10] float, and picks the output to read.</summary>
    /// <exception cref="OnnxModelException">The model is not a 28x28 digit classifier.</exception>
    public static DigitModel Create(OnnxModel model)
    {
        const string hint = " Mnist.ML runs digit classifiers with one float input [N,1,28,28] (pixels 0..1, ink bright) and a float output [N,10] (logits or probabilities).";
        if (model.Inputs.Count != 1)
        {
            throw new OnnxModelException($"The model has {model.Inputs.Count} inputs ({string.Join("; ", model.Inputs)}); a digit classifier has exactly one.{hint}");
        }
        OnnxTensorInfo input = model.Inputs[0];
        IReadOnlyList<int?>? dims = input.Dimensions;
        bool inputOk = input.ElementType == "float32" && dims is { Count: 4 }
            && dims[1] is null or 1 && dims[2] is null or Side && dims[3] is null or Side && dims[0] is not 0;
        if (!inputOk)
        {
            throw new OnnxModelException($"The model's input is {input}, not [N,1,28,28] float32.{hint}");
        }
        int? fixedBatch = dims![0];

        // Prefer logits: a Softmax output is used only when the model has nothing else, so that models
        // exporting both (like PyTorch's cnn3 with 'probabilities') give the same numbers as logits-only ones.
        var producers = model.Graph.Operators.SelectMany(op => op.Node.Output.Select(o => (Output: o, op.Node.OpType)))
            .GroupBy(p => p.Output).ToDictionary(g => g.Key, g => g.First().OpType, StringComparer.Ordinal);
        var candidates = new List<(int Index, bool IsSoftmax)>();
        for (int i = 0; i < model.Outputs.Count; i++)
        {
            OnnxTensorInfo o = model.Outputs[i];
            if (o.ElementType == "float32" && o.Dimensions is { Count: 2 } d && d[1] == Classes)
            {
                candidates.Add((i, producers.TryGetValue(o.Name, out string? op) && op == "Softmax"));
            }
        }
        if (candidates.Count == 0)
        {
            throw new OnnxModelException($"The model has no [N,10] float32 output (outputs: {string.Join("; ", model.Outputs)}).{hint}");
        }
        var chosen = candidates.OrderBy(c => c.IsSoftmax)
            .ThenBy(c => string.Equals(model.Outputs[c.Index].Name, "logits", StringComparison.OrdinalIgnoreCase) ? 0 : 1)
            .First();
        var digitModel = new DigitModel(model, chosen.Index, chosen.IsSoftmax, fixedBatch);
        digitModel.Probe();
        return digitModel;
    }

    /// <summary>Runs a blank batch once at load (two images when the batch is dynamic) so a model that cannot batch fails now.</summary>
    private void Probe()
    {
        int n = _fixedBatch ?? 2;
        OnnxTensor output;
        try
        {
            output = Onnx.Run(new float[n * Pixels], [n, 1, Side, Side])[_outputIndex];
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException)
        {
            throw new OnnxModelException($"The model fails on a batch of {n} blank 28x28 images: {e.Message}", e);
        }
        if (!output.Shape.AsSpan().SequenceEqual([n, Classes]))
        {
            throw new OnnxModelException($"The model's output '{OutputName}' has shape [{string.Join(",", output.Shape)}] for a batch of {n}; expected [{n},{Classes}].");
        }
    }

    /// <summary>Probabilities (count, 10) for count 28x28 images, run in chunks of at most maxBatch.</summary>
    public float[] Run(ReadOnlySpan<float> pixels, int count, int maxBatch)
    {
        // pixels (count, 1, 28, 28); result (count, 10)
        var result = new float[count * Classes];
        int chunk = _fixedBatch ?? maxBatch;
        for (int start = 0; start < count; start += chunk)
        {
            int n = Math.Min(chunk, count - start);
            ReadOnlySpan<float> slice = pixels.Slice(start * Pixels, n * Pixels);
            int runN = _fixedBatch ?? n;
            if (runN != n)
            {
                var padded = new float[runN * Pixels]; // a fixed-batch model: pad the last chunk with blanks
                slice.CopyTo(padded);
                slice = padded;
            }
            float[] scores = Onnx.Run(slice, [runN, 1, Side, Side])[_outputIndex].Floats!;
            for (int i = 0; i < n; i++)
            {
                ReadOnlySpan<float> row = scores.AsSpan(i * Classes, Classes);
                Span<float> probabilities = result.AsSpan((start + i) * Classes, Classes);
                if (OutputIsProbabilities)
                {
                    row.CopyTo(probabilities);
                }
                else
                {
                    Softmax(row, probabilities);
                }
                foreach (float p in probabilities)
                {
                    if (!float.IsFinite(p))
                    {
                        throw new InvalidOperationException($"The model produced a non-finite score for image {start + i}; the model file is broken.");
                    }
                }
            }
        }
        return result;
    }

    /// <summary>Softmax that subtracts the max first, so large logits cannot overflow exp.</summary>
    internal static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        float max = float.NegativeInfinity;
        foreach (float v in logits)
        {
            max = Math.Max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            float e = MathF.Exp(logits[i] - max);
            probabilities[i] = e;
            sum += e;
        }
        float scale = (float)(1.0 / sum);
        for (int i = 0; i < probabilities.Length; i++)
        {
            probabilities[i] *= scale;
        }
    }
}

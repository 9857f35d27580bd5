// The public face of the ONNX executor: load a model (validated and planned at load), inspect its
// inputs, outputs and metadata; the predictor runs it through the internal Run methods.
using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using Mnist.ML.Onnx.Executor;
using Mnist.ML.Onnx.Proto;

namespace Mnist.ML.Onnx;

/// <summary>
/// An ONNX model loaded into Mnist.ML's managed executor. Loading parses the file, binds every node
/// to a supported operator, infers shapes and builds an execution plan, so an unsupported operator,
/// opset, data type or a malformed file fails here with an <see cref="OnnxModelException"/> — never
/// during inference. Supported: float32 models of ai.onnx opset 1 to 21 built from Conv, MaxPool,
/// AveragePool, GlobalAveragePool, Gemm, MatMul, Add, Sub, Mul, Div, Relu, LeakyRelu, Sigmoid, Tanh,
/// Clip, Softmax, LogSoftmax, BatchNormalization, Dropout, Identity, Flatten, Reshape, Transpose,
/// Squeeze, Unsqueeze, Concat, Constant, Shape and Gather.
/// </summary>
/// <remarks>Thread-safe: a loaded model may be run from many threads at once; each run uses its own buffers.</remarks>
public sealed class OnnxModel
{
    private const int MaxCachedPlans = 64;

    private readonly ConcurrentDictionary<long, ExecutionPlan[]> _plans = new();
    private int _planCount;

    private OnnxModel(ModelProto proto)
    {
        Proto = proto;
        Graph = OnnxGraph.Create(proto);
        Metadata = new ReadOnlyDictionary<string, string>(proto.MetadataProps.GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal));
        Inputs = Graph.Inputs.Select(Describe).ToArray();

        // Plan once now (dynamic dims as 1) so that every load-time check runs before the first inference.
        ExecutionPlan? probe = null;
        if (Graph.Inputs.All(i => i.Type == OnnxDataType.Float && i.Dims is not null))
        {
            probe = GetPlan(Graph.Inputs.Select(i => i.Dims!.Select(d => d < 0 ? 1 : d).ToArray()).ToArray(), new long[]?[Graph.Inputs.Count]);
        }
        Outputs = Graph.Outputs.Select((o, i) => o.Dims is null && probe is not null
            ? Describe(o with { Dims = probe.Outputs[i].Shape }) : Describe(o)).ToArray();
    }

    /// <summary>The model's inputs, in the order <c>Run</c> takes them.</summary>
    public IReadOnlyList<OnnxTensorInfo> Inputs { get; }

    /// <summary>The model's outputs, in graph order.</summary>
    public IReadOnlyList<OnnxTensorInfo> Outputs { get; }

    /// <summary>The model's metadata_props (for Mnist.ML models: the model card).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tool that wrote the file (producer_name), e.g. "pytorch" or "Mnist.ML".</summary>
    public string ProducerName => Proto.ProducerName;

    /// <summary>The ai.onnx opset the model was written for.</summary>
    public int OpsetVersion => Graph.Opset;

    internal ModelProto Proto { get; }

    internal OnnxGraph Graph { get; }

    /// <summary>Loads and validates a model from a .onnx file.</summary>
    /// <exception cref="OnnxModelException">The file is not valid ONNX or uses something the executor does not support.</exception>
    public static OnnxModel Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new OnnxModel(OnnxModelFile.Read(path));
    }

    /// <summary>Loads and validates a model from a stream (read to its end; not closed).</summary>
    /// <exception cref="OnnxModelException">The data is not valid ONNX or uses something the executor does not support.</exception>
    public static OnnxModel Load(Stream stream) => new(OnnxModelFile.Read(stream));

    /// <summary>Loads and validates a model from the bytes of a .onnx file.</summary>
    /// <exception cref="OnnxModelException">The data is not valid ONNX or uses something the executor does not support.</exception>
    public static OnnxModel Load(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return new OnnxModel(OnnxModelFile.Read(bytes));
    }

    internal static OnnxModel FromProto(ModelProto proto) => new(proto);

    /// <summary>Runs the model on a single float input of the given shape (e.g. [N,1,28,28]).</summary>
    internal OnnxTensor[] Run(ReadOnlySpan<float> input, ReadOnlySpan<int> shape)
    {
        if (Graph.Inputs.Count != 1 || Graph.Inputs[0].Type != OnnxDataType.Float)
            throw new InvalidOperationException($"This model has {Graph.Inputs.Count} inputs; use Run(IReadOnlyList<OnnxTensor>).");
        CheckShape(0, shape);
        if (OnnxTensor.SizeOf(shape) != input.Length)
            throw new ArgumentException($"Input holds {input.Length} values; shape [{string.Join(",", shape.ToArray())}] needs {OnnxTensor.SizeOf(shape)}.", nameof(input));
        long key = HashShape(17, shape);
        ExecutionPlan? plan = Find(key, shape) ?? GetPlan([shape.ToArray()], [null]);
        return plan.Run(input);
    }

    /// <summary>Runs the model; inputs in <see cref="Inputs"/> order. Outputs are new tensors.</summary>
    internal OnnxTensor[] Run(IReadOnlyList<OnnxTensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count != Graph.Inputs.Count)
            throw new ArgumentException($"The model takes {Graph.Inputs.Count} inputs ({string.Join(", ", Inputs)}), got {inputs.Count}.", nameof(inputs));
        long key = 17;
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].Type != Graph.Inputs[i].Type)
                throw new ArgumentException($"Input '{Graph.Inputs[i].Name}' must be {Inputs[i].ElementType}, got {inputs[i].Type}.", nameof(inputs));
            CheckShape(i, inputs[i].Shape);
            key = HashShape(key, inputs[i].Shape);
            if (inputs[i].Longs is { } values) key = HashShape(key, values.Select(v => (int)v ^ (int)(v >> 32)).ToArray());
        }
        ExecutionPlan plan = FindMatching(key, inputs) ?? GetPlan(inputs.Select(t => (int[])t.Shape.Clone()).ToArray(), inputs.Select(t => (long[]?)t.Longs?.Clone()).ToArray());
        return plan.Run(inputs);
    }

    private void CheckShape(int index, ReadOnlySpan<int> shape)
    {
        int[]? dims = Graph.Inputs[index].Dims;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException("Shape dimensions must be non-negative.", nameof(shape));
        }
        if (dims is null) return;
        bool ok = dims.Length == shape.Length;
        for (int i = 0; ok && i < dims.Length; i++) ok = dims[i] < 0 || dims[i] == shape[i];
        if (!ok)
            throw new ArgumentException($"Input '{Graph.Inputs[index].Name}' must have shape {Inputs[index]}, got [{string.Join(",", shape.ToArray())}].", nameof(shape));
    }

    private static long HashShape(long hash, ReadOnlySpan<int> shape)
    {
        hash = hash * 31 + shape.Length;
        foreach (int d in shape) hash = hash * 1_000_003 + d;
        return hash;
    }

    private ExecutionPlan? Find(long key, ReadOnlySpan<int> shape)
    {
        if (!_plans.TryGetValue(key, out var candidates)) return null;
        foreach (var plan in candidates)
        {
            if (plan.InputShapes[0].AsSpan().SequenceEqual(shape)) return plan;
        }
        return null;
    }

    private ExecutionPlan? FindMatching(long key, IReadOnlyList<OnnxTensor> inputs)
    {
        if (!_plans.TryGetValue(key, out var candidates)) return null;
        foreach (var plan in candidates)
        {
            bool match = true;
            for (int i = 0; match && i < inputs.Count; i++)
            {
                match = plan.InputShapes[i].AsSpan().SequenceEqual(inputs[i].Shape)
                    && (inputs[i].Longs is null || plan.InputValues[i]!.AsSpan().SequenceEqual(inputs[i].Longs));
            }
            if (match) return plan;
        }
        return null;
    }

    /// <summary>The steps the plan for this single-input shape runs (tests check fusions with it).</summary>
    internal int PlannedSteps(int[] inputShape) => GetPlan([inputShape], [null]).StepCount;

    private ExecutionPlan GetPlan(int[][] shapes, long[]?[] values)
    {
        var plan = ExecutionPlan.Build(Graph, shapes, values);
        if (Interlocked.Increment(ref _planCount) > MaxCachedPlans) return plan; // still correct, just not cached
        long key = 17;
        for (int i = 0; i < shapes.Length; i++)
        {
            key = HashShape(key, shapes[i]);
            if (values[i] is { } v) key = HashShape(key, v.Select(x => (int)x ^ (int)(x >> 32)).ToArray());
        }
        _plans.AddOrUpdate(key, [plan], (_, existing) => [.. existing, plan]);
        return plan;
    }

    private static OnnxTensorInfo Describe(GraphValue v) => new(
        v.Name,
        v.Type == OnnxDataType.Float ? "float32" : "int64",
        v.Dims?.Select(d => d < 0 ? (int?)null : d).ToArray(),
        v.DimNames?.Select(n => string.IsNullOrEmpty(n) ? null : n).ToArray());
}

// The contract between the executor and one operator: at plan time an operator sees its inputs'
// concrete shapes (and values, where they are constants) and returns its outputs' shapes plus the
// step that computes them, a view of its input, or constant outputs. Nothing is allocated at run time.
using Mnist.ML.Onnx.Proto;

namespace Mnist.ML.Onnx.Executor;

/// <summary>Where a float tensor lives at run time: a constant array, or a range of the per-call arena.</summary>
internal sealed class Slot
{
    public float[]? Data;   // constants and folded values
    public int Offset;      // into the arena, set by buffer allocation
    public int Length;
    public int Buffer = -1; // buffer id for liveness; views share it
}

/// <summary>A value known while planning: its shape, element type, and its data when constant.</summary>
internal sealed class PlanValue(string name, int[] shape, OnnxDataType type)
{
    public string Name { get; } = name;
    public int[] Shape { get; } = shape;
    public OnnxDataType Type { get; } = type;
    public OnnxTensor? Constant { get; init; }
    public Slot? Slot { get; init; }
    public int Length => OnnxTensor.SizeOf(Shape);
}

/// <summary>The spans one step reads and writes, resolved against the caller's arena.</summary>
internal readonly ref struct StepIO(float[] arena, Slot?[] inputs, Slot[] outputs)
{
    private readonly float[] _arena = arena;
    private readonly Slot?[] _inputs = inputs;
    private readonly Slot[] _outputs = outputs;

    public ReadOnlySpan<float> In(int i)
    {
        Slot s = _inputs[i] ?? throw new InvalidOperationException($"Input {i} is not a float tensor.");
        return s.Data is not null ? s.Data.AsSpan(0, s.Length) : _arena.AsSpan(s.Offset, s.Length);
    }

    public Span<float> Out(int i)
    {
        Slot s = _outputs[i];
        return s.Data is not null ? s.Data.AsSpan(0, s.Length) : _arena.AsSpan(s.Offset, s.Length);
    }
}

internal delegate void StepBody(in StepIO io);

/// <summary>What an operator decided for one concrete set of input shapes.</summary>
internal sealed class NodePlan
{
    public required int[][] Shapes { get; init; }
    public StepBody? Body { get; init; }
    public OnnxTensor[]? Constants { get; init; }
    public bool IsView { get; init; }

    /// <summary>The step may write output 0 over input 0 (element-wise: each output reads only its own input element).</summary>
    public bool InPlace { get; init; }

    /// <summary>
    /// The same step followed by ReLU on its output, for operators that can apply it while the data is
    /// still in registers or cache (Conv, Gemm); the plan uses it when the node's only consumer is a Relu.
    /// </summary>
    public StepBody? BodyWithRelu { get; init; }

    /// <summary>
    /// The step (with ReLU or not) followed by a 2x2 stride-2 max pool, writing only the pooled output
    /// (Conv with the channel-direct kernel); the plan uses it when the node's (or its fused Relu's)
    /// only consumer is such a MaxPool.
    /// </summary>
    public Func<bool, StepBody>? BodyWithMaxPool { get; init; }

    /// <summary>A computed float output of the given shape; <paramref name="inPlace"/> as <see cref="InPlace"/>,
    /// <paramref name="withRelu"/> as <see cref="BodyWithRelu"/>.</summary>
    public static NodePlan Compute(int[] shape, StepBody body, bool inPlace = false, StepBody? withRelu = null) =>
        new() { Shapes = [shape], Body = body, InPlace = inPlace, BodyWithRelu = withRelu };

    /// <summary>Output 0 is input 0's data under a new shape (Reshape, Flatten, Identity...).</summary>
    public static NodePlan View(int[] shape) => new() { Shapes = [shape], IsView = true };

    /// <summary>The outputs are known now (Shape, Constant, folded int64 arithmetic).</summary>
    public static NodePlan Constant(params OnnxTensor[] values) => new() { Shapes = values.Select(v => v.Shape).ToArray(), Constants = values };
}

/// <summary>One graph node's operator: parses attributes at load, plans per input shapes.</summary>
internal abstract class Operator
{
    private readonly Dictionary<string, AttributeProto> _attributes = new(StringComparer.Ordinal);

    protected Operator(NodeProto node, int opset)
    {
        Node = node;
        Opset = opset;
        foreach (var a in node.Attribute) _attributes[a.Name] = a;
    }

    public NodeProto Node { get; }
    public int Opset { get; }
    public string NodeName => string.IsNullOrEmpty(Node.Name) ? $"<{Node.OpType} -> {string.Join(",", Node.Output)}>" : Node.Name;

    /// <summary>How many outputs this operator can produce (extra outputs named in the node are an error).</summary>
    public virtual int MaxOutputs => 1;

    public abstract NodePlan Plan(PlanValue?[] inputs);

    public OnnxModelException Fail(string message, Exception? inner = null) => new(message, NodeName, Node.OpType, inner);

    /// <summary>Rejects attributes this implementation does not know, so none is silently ignored.</summary>
    protected void Known(params string[] names)
    {
        foreach (string name in _attributes.Keys)
        {
            if (Array.IndexOf(names, name) < 0)
                throw Fail($"attribute '{name}' is not supported by Mnist.ML (supported: {string.Join(", ", names)}).");
        }
    }

    protected bool Has(string name) => _attributes.ContainsKey(name);

    protected long Int(string name, long fallback) => _attributes.TryGetValue(name, out var a) ? a.I : fallback;

    protected float Float(string name, float fallback) => _attributes.TryGetValue(name, out var a) ? a.F : fallback;

    protected string String(string name, string fallback) => _attributes.TryGetValue(name, out var a) ? a.S.ToStringUtf8() : fallback;

    protected long[]? Ints(string name) => _attributes.TryGetValue(name, out var a) ? a.Ints.ToArray() : null;

    protected AttributeProto? Attribute(string name) => _attributes.GetValueOrDefault(name);

    protected PlanValue Required(PlanValue?[] inputs, int i) =>
        i < inputs.Length && inputs[i] is { } v ? v : throw Fail($"input #{i} is required.");

    protected PlanValue RequiredFloat(PlanValue?[] inputs, int i)
    {
        PlanValue v = Required(inputs, i);
        if (v.Type != OnnxDataType.Float) throw Fail($"input '{v.Name}' is {v.Type}; this operator computes in float32 only.");
        return v;
    }

    protected static PlanValue? Optional(PlanValue?[] inputs, int i) => i < inputs.Length ? inputs[i] : null;

    /// <summary>An int64 input that must be known at load (a shape or axes list).</summary>
    protected long[] ConstantLongs(PlanValue v, string what)
    {
        if (v.Constant is null) throw Fail($"{what} ('{v.Name}') must be computable when the model loads (a constant or derived from shapes).");
        if (v.Constant.Longs is null) throw Fail($"{what} ('{v.Name}') must be int64.");
        return v.Constant.Longs;
    }

    protected int Axis(long axis, int rank, string what = "axis")
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw Fail($"{what} {axis} is out of range for rank {rank}.");
        return (int)a;
    }

    protected static string ShapeText(int[] shape) => "[" + string.Join(",", shape) + "]";
}

// Operators that move or relabel data: Identity, Dropout (inference), Flatten, Reshape, Squeeze,
// Unsqueeze (views, no copy), Transpose, Concat, Gather (copies), and the load-time producers
// Constant and Shape. int64 inputs are always known at plan time, so these fold shape subgraphs.
using Mnist.ML.Onnx.Proto;

namespace Mnist.ML.Onnx.Executor.Operators;

internal sealed class IdentityOp : Operator
{
    public IdentityOp(NodeProto node, int opset) : base(node, opset) => Known();

    public override NodePlan Plan(PlanValue?[] inputs) => NodePlan.View(Required(inputs, 0).Shape);
}

/// <summary>Dropout at inference is the identity; a training_mode input must be a constant false.</summary>
internal sealed class DropoutOp : Operator
{
    public DropoutOp(NodeProto node, int opset) : base(node, opset)
    {
        Known("ratio", "seed", "is_test");
        if (Has("is_test") && Int("is_test", 1) == 0) throw Fail("is_test=0 (training mode) is not supported; export the model in inference mode.");
    }

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        if (Optional(inputs, 2) is { } training)
            throw Fail($"the training_mode input ('{training.Name}') is not supported; export the model in inference mode.");
        return NodePlan.View(Required(inputs, 0).Shape);
    }
}

internal sealed class FlattenOp : Operator
{
    private readonly long _axis;

    public FlattenOp(NodeProto node, int opset) : base(node, opset)
    {
        Known("axis");
        _axis = Int("axis", 1);
    }

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue x = Required(inputs, 0);
        int rank = x.Shape.Length;
        long a = _axis < 0 ? _axis + rank : _axis;
        if (a < 0 || a > rank) throw Fail($"axis {_axis} is out of range for rank {rank}.");
        return NodePlan.View([Shapes.Size(x.Shape, 0, (int)a), Shapes.Size(x.Shape, (int)a)]);
    }
}

/// <summary>Reshape: 0 copies the input dim (unless allowzero), -1 is inferred.</summary>
internal sealed class ReshapeOp : Operator
{
    private readonly bool _allowZero;

    public ReshapeOp(NodeProto node, int opset) : base(node, opset)
    {
        Known("allowzero");
        _allowZero = Int("allowzero", 0) != 0;
    }

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue x = Required(inputs, 0);
        long[] spec = ConstantLongs(Required(inputs, 1), "the target shape");
        var shape = new int[spec.Length];
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < spec.Length; i++)
        {
            long d = spec[i];
            if (d == 0 && !_allowZero)
            {
                if (i >= x.Shape.Length) throw Fail($"shape {ShapeText(spec.Select(v => (int)v).ToArray())} copies dim {i}, which the input lacks.");
                d = x.Shape[i];
            }
            if (d == -1)
            {
                if (inferred >= 0) throw Fail("the target shape has more than one -1.");
                inferred = i;
                continue;
            }
            if (d < 0 || d > int.MaxValue) throw Fail($"invalid target dimension {d}.");
            shape[i] = (int)d;
            known *= d;
        }
        if (inferred >= 0)
        {
            if (known == 0 || x.Length % known != 0) throw Fail($"cannot reshape {ShapeText(x.Shape)} to {string.Join(",", spec)}.");
            shape[inferred] = (int)(x.Length / known);
        }
        if (Shapes.Size(shape) != x.Length) throw Fail($"cannot reshape {ShapeText(x.Shape)} ({x.Length} values) to {ShapeText(shape)}.");
        return NodePlan.View(shape);
    }
}

/// <summary>Squeeze / Unsqueeze: axes are an attribute before opset 13 and an int64 input from 13.</summary>
internal sealed class SqueezeOp : Operator
{
    private readonly bool _unsqueeze;
    private readonly long[]? _axes;

    public SqueezeOp(NodeProto node, int opset, bool unsqueeze) : base(node, opset)
    {
        _unsqueeze = unsqueeze;
        if (opset < 13) Known("axes");
        else Known();
        _axes = Ints("axes");
    }

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue x = Required(inputs, 0);
        long[]? axes = Opset < 13 ? _axes : Optional(inputs, 1) is { } a ? ConstantLongs(a, "axes") : null;
        if (_unsqueeze)
        {
            if (axes is null) throw Fail("axes are required.");
            int rank = x.Shape.Length + axes.Length;
            var inserted = new bool[rank];
            foreach (long axis in axes)
            {
                int i = Axis(axis, rank);
                if (inserted[i]) throw Fail($"axis {axis} is repeated.");
                inserted[i] = true;
            }
            var shape = new int[rank];
            for (int i = 0, j = 0; i < rank; i++) shape[i] = inserted[i] ? 1 : x.Shape[j++];
            return NodePlan.View(shape);
        }
        else
        {
            int rank = x.Shape.Length;
            var removed = new bool[rank];
            if (axes is null)
            {
                for (int i = 0; i < rank; i++) removed[i] = x.Shape[i] == 1;
            }
            else
            {
                foreach (long axis in axes)
                {
                    int i = Axis(axis, rank);
                    if (x.Shape[i] != 1) throw Fail($"cannot squeeze axis {axis} of size {x.Shape[i]}.");
                    removed[i] = true;
                }
            }
            return NodePlan.View(x.Shape.Where((_, i) => !removed[i]).ToArray());
        }
    }
}

internal sealed class TransposeOp : Operator
{
    private readonly long[]? _perm;

    public TransposeOp(NodeProto node, int opset) : base(node, opset)
    {
        Known("perm");
        _perm = Ints("perm");
    }

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue x = Required(inputs, 0);
        int rank = x.Shape.Length;
        int[] perm = _perm is null ? Enumerable.Range(0, rank).Reverse().ToArray() : _perm.Select(p => Axis(p, rank, "perm entry")).ToArray();
        if (perm.Length != rank || perm.Distinct().Count() != rank) throw Fail($"perm [{string.Join(",", perm)}] is not a permutation of rank {rank}.");
        var (shape, stride) = Shapes.TransposeLayout(x.Shape, perm);
        if (x.Type == OnnxDataType.Int64)
        {
            long[] data = ConstantLongs(x, "int64 input");
            var result = new long[data.Length];
            Shapes.Transpose<long>(data, result, shape, stride);
            return NodePlan.Constant(new OnnxTensor(shape, result));
        }
        return NodePlan.Compute(shape, (in StepIO io) => Shapes.Transpose(io.In(0), io.Out(0), shape, stride));
    }
}

internal sealed class ConcatOp : Operator
{
    private readonly long _axis;

    public ConcatOp(NodeProto node, int opset) : base(node, opset)
    {
        Known("axis");
        if (!Has("axis")) throw Fail("axis is required.");
        _axis = Int("axis", 0);
    }

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        if (inputs.Length == 0) throw Fail("at least one input is required.");
        var parts = inputs.Select((_, i) => Required(inputs, i)).ToArray();
        PlanValue first = parts[0];
        int rank = first.Shape.Length;
        int axis = Axis(_axis, rank);
        var shape = (int[])first.Shape.Clone();
        shape[axis] = 0;
        foreach (var p in parts)
        {
            if (p.Type != first.Type) throw Fail("inputs have different element types.");
            if (p.Shape.Length != rank) throw Fail($"input '{p.Name}' {ShapeText(p.Shape)} has a different rank.");
            for (int d = 0; d < rank; d++)
            {
                if (d != axis && p.Shape[d] != first.Shape[d]) throw Fail($"input '{p.Name}' {ShapeText(p.Shape)} does not match {ShapeText(first.Shape)} off axis {axis}.");
            }
            shape[axis] += p.Shape[axis];
        }
        int outer = Shapes.Size(shape, 0, axis), outBlock = Shapes.Size(shape, axis);
        int[] blocks = parts.Select(p => Shapes.Size(p.Shape, axis)).ToArray();
        int[] offsets = new int[parts.Length];
        for (int i = 1; i < parts.Length; i++) offsets[i] = offsets[i - 1] + blocks[i - 1];
        if (first.Type == OnnxDataType.Int64)
        {
            var result = new long[Shapes.Size(shape)];
            for (int i = 0; i < parts.Length; i++)
                Shapes.ConcatPart<long>(ConstantLongs(parts[i], "int64 input"), result, outer, blocks[i], outBlock, offsets[i]);
            return NodePlan.Constant(new OnnxTensor(shape, result));
        }
        return NodePlan.Compute(shape, (in StepIO io) =>
        {
            for (int i = 0; i < blocks.Length; i++) Shapes.ConcatPart(io.In(i), io.Out(0), outer, blocks[i], outBlock, offsets[i]);
        });
    }
}

internal sealed class GatherOp : Operator
{
    private readonly long _axis;

    public GatherOp(NodeProto node, int opset) : base(node, opset)
    {
        Known("axis");
        _axis = Int("axis", 0);
    }

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue data = Required(inputs, 0), indicesValue = Required(inputs, 1);
        long[] raw = ConstantLongs(indicesValue, "indices");
        int rank = data.Shape.Length;
        if (rank == 0) throw Fail("data must have rank >= 1.");
        int axis = Axis(_axis, rank);
        int axisLength = data.Shape[axis];
        var indices = new int[raw.Length];
        for (int i = 0; i < raw.Length; i++)
        {
            long v = raw[i] < 0 ? raw[i] + axisLength : raw[i];
            if (v < 0 || v >= axisLength) throw Fail($"index {raw[i]} is out of range for axis of size {axisLength}.");
            indices[i] = (int)v;
        }
        int[] shape = [.. data.Shape[..axis], .. indicesValue.Shape, .. data.Shape[(axis + 1)..]];
        int outer = Shapes.Size(data.Shape, 0, axis), inner = Shapes.Size(data.Shape, axis + 1);
        if (data.Type == OnnxDataType.Int64)
        {
            var result = new long[Shapes.Size(shape)];
            Shapes.Gather<long>(ConstantLongs(data, "int64 data"), result, outer, axisLength, inner, indices);
            return NodePlan.Constant(new OnnxTensor(shape, result));
        }
        return NodePlan.Compute(shape, (in StepIO io) => Shapes.Gather(io.In(0), io.Out(0), outer, axisLength, inner, indices));
    }
}

internal sealed class ShapeOp : Operator
{
    private readonly long _start, _end;

    public ShapeOp(NodeProto node, int opset) : base(node, opset)
    {
        if (opset >= 15) Known("start", "end");
        else Known();
        _start = Int("start", 0);
        _end = Int("end", long.MaxValue);
    }

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        int[] s = Required(inputs, 0).Shape;
        int rank = s.Length;
        long start = Math.Clamp(_start < 0 ? _start + rank : _start, 0, rank);
        long end = Math.Clamp(_end < 0 ? _end + rank : _end, 0, rank);
        long[] dims = s.Skip((int)start).Take((int)Math.Max(0, end - start)).Select(d => (long)d).ToArray();
        return NodePlan.Constant(new OnnxTensor([dims.Length], dims));
    }
}

/// <summary>Constant: value (tensor), or value_float(s) / value_int(s) from opset 12.</summary>
internal sealed class ConstantOp : Operator
{
    private readonly OnnxTensor _value;

    public ConstantOp(NodeProto node, int opset) : base(node, opset)
    {
        Known("value", "value_float", "value_floats", "value_int", "value_ints");
        try
        {
            if (Attribute("value") is { } t) _value = OnnxTensor.FromProto(t.T ?? throw Fail("value holds no tensor."));
            else if (Attribute("value_float") is { } f) _value = new OnnxTensor([], [f.F]);
            else if (Attribute("value_floats") is { } fs) _value = new OnnxTensor([fs.Floats.Count], fs.Floats.ToArray());
            else if (Attribute("value_int") is { } i) _value = new OnnxTensor([], [i.I]);
            else if (Attribute("value_ints") is { } js) _value = new OnnxTensor([js.Ints.Count], js.Ints.ToArray());
            else throw Fail("no value attribute.");
        }
        catch (OnnxModelException e) when (e.NodeName is null)
        {
            throw Fail(e.Message, e);
        }
    }

    public override NodePlan Plan(PlanValue?[] inputs) => NodePlan.Constant(_value);
}

// Element-wise operators: Add/Sub/Mul/Div with numpy broadcasting, Relu, LeakyRelu, Sigmoid, Tanh,
// Clip, and Softmax/LogSoftmax (max subtracted first).
using System.Numerics.Tensors;
using Mnist.ML.Onnx.Proto;

namespace Mnist.ML.Onnx.Executor.Operators;

internal enum BinaryKind { Add, Sub, Mul, Div }

internal sealed class BinaryOp : Operator
{
    private readonly BinaryKind _kind;

    public BinaryOp(NodeProto node, int opset, BinaryKind kind) : base(node, opset)
    {
        _kind = kind;
        Known(); // opset < 7 broadcast/axis attributes are rejected: only numpy broadcasting is implemented
    }

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue a = Required(inputs, 0), b = Required(inputs, 1);
        if (a.Type != b.Type) throw Fail($"inputs are {a.Type} and {b.Type}; both must have the same type.");
        int[] shape = Shapes.Broadcast(a.Shape, b.Shape);
        if (a.Type == OnnxDataType.Int64)
        {
            // Shape arithmetic: both sides are constants by construction (int64 is never computed at run time).
            long[] x = ConstantLongs(a, "int64 operand"), y = ConstantLongs(b, "int64 operand");
            var result = new long[Shapes.Size(shape)];
            int[] sa = Shapes.BroadcastStrides(a.Shape, shape), sb = Shapes.BroadcastStrides(b.Shape, shape), so = Shapes.Strides(shape);
            for (int i = 0; i < result.Length; i++)
            {
                int ia = 0, ib = 0, rem = i;
                for (int d = 0; d < shape.Length; d++)
                {
                    int q = rem / so[d];
                    rem -= q * so[d];
                    ia += q * sa[d];
                    ib += q * sb[d];
                }
                result[i] = _kind switch
                {
                    BinaryKind.Add => x[ia] + y[ib],
                    BinaryKind.Sub => x[ia] - y[ib],
                    BinaryKind.Mul => x[ia] * y[ib],
                    _ => y[ib] == 0 ? throw Fail("integer division by zero.") : x[ia] / y[ib],
                };
            }
            return NodePlan.Constant(new OnnxTensor(shape, result));
        }

        var plan = new BroadcastPlan(a.Shape, b.Shape, shape);
        BinaryKind kind = _kind;
        return NodePlan.Compute(shape, (in StepIO io) => plan.Run(io.In(0), io.In(1), io.Out(0), kind), inPlace: a.Shape.SequenceEqual(shape));
    }
}

/// <summary>
/// A broadcast binary operation compiled for fixed shapes: adjacent dims with the same broadcast
/// pattern are merged, so [N,C,H,W] + [1,C,1,1] runs as N*C contiguous rows of H*W with a scalar.
/// </summary>
internal sealed class BroadcastPlan
{
    private readonly int[] _dims, _strideA, _strideB; // merged output dims and element strides
    private readonly int _inner;
    private readonly bool _innerA, _innerB;          // does A / B advance along the inner dim?

    public BroadcastPlan(int[] a, int[] b, int[] output)
    {
        int[] sa = Shapes.BroadcastStrides(a, output), sb = Shapes.BroadcastStrides(b, output);
        var dims = new List<int>();
        var ka = new List<bool>();
        var kb = new List<bool>();
        for (int i = 0; i < output.Length; i++)
        {
            if (output[i] == 1) continue;
            bool pa = sa[i] != 0, pb = sb[i] != 0;
            if (dims.Count > 0 && ka[^1] == pa && kb[^1] == pb) dims[^1] *= output[i];
            else
            {
                dims.Add(output[i]);
                ka.Add(pa);
                kb.Add(pb);
            }
        }
        if (dims.Count == 0)
        {
            dims.Add(1);
            ka.Add(true);
            kb.Add(true);
        }
        _dims = dims.ToArray();
        _strideA = Strides(_dims, ka);
        _strideB = Strides(_dims, kb);
        _inner = _dims[^1];
        _innerA = ka[^1];
        _innerB = kb[^1];
    }

    private static int[] Strides(int[] dims, List<bool> advances)
    {
        var strides = new int[dims.Length];
        int s = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            strides[i] = advances[i] ? s : 0;
            if (advances[i]) s *= dims[i];
        }
        return strides;
    }

    public void Run(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y, BinaryKind kind)
    {
        int rank = _dims.Length;
        Span<int> index = stackalloc int[rank];
        int ia = 0, ib = 0;
        for (int o = 0; o < y.Length; o += _inner)
        {
            Row(a, ia, b, ib, y.Slice(o, _inner), kind);
            for (int d = rank - 2; d >= 0; d--)
            {
                ia += _strideA[d];
                ib += _strideB[d];
                if (++index[d] < _dims[d]) break;
                ia -= _strideA[d] * _dims[d];
                ib -= _strideB[d] * _dims[d];
                index[d] = 0;
            }
        }
    }

    private void Row(ReadOnlySpan<float> a, int ia, ReadOnlySpan<float> b, int ib, Span<float> y, BinaryKind kind)
    {
        int n = y.Length;
        if (_innerA && _innerB)
        {
            var x = a.Slice(ia, n);
            var z = b.Slice(ib, n);
            switch (kind)
            {
                case BinaryKind.Add: TensorPrimitives.Add(x, z, y); break;
                case BinaryKind.Sub: TensorPrimitives.Subtract(x, z, y); break;
                case BinaryKind.Mul: TensorPrimitives.Multiply(x, z, y); break;
                default: TensorPrimitives.Divide(x, z, y); break;
            }
        }
        else if (_innerA)
        {
            var x = a.Slice(ia, n);
            float s = b[ib];
            switch (kind)
            {
                case BinaryKind.Add: TensorPrimitives.Add(x, s, y); break;
                case BinaryKind.Sub: TensorPrimitives.Subtract(x, s, y); break;
                case BinaryKind.Mul: TensorPrimitives.Multiply(x, s, y); break;
                default: TensorPrimitives.Divide(x, s, y); break;
            }
        }
        else if (_innerB)
        {
            float s = a[ia];
            var z = b.Slice(ib, n);
            switch (kind)
            {
                case BinaryKind.Add: TensorPrimitives.Add(z, s, y); break;
                case BinaryKind.Sub: TensorPrimitives.Subtract(s, z, y); break;
                case BinaryKind.Mul: TensorPrimitives.Multiply(z, s, y); break;
                default: TensorPrimitives.Divide(s, z, y); break;
            }
        }
        else
        {
            float x = a[ia], z = b[ib];
            y.Fill(kind switch { BinaryKind.Add => x + z, BinaryKind.Sub => x - z, BinaryKind.Mul => x * z, _ => x / z });
        }
    }
}

internal enum UnaryKind { Relu, LeakyRelu, Sigmoid, Tanh }

internal sealed class UnaryOp : Operator
{
    private readonly UnaryKind _kind;
    private readonly float _alpha;

    public UnaryOp(NodeProto node, int opset, UnaryKind kind) : base(node, opset)
    {
        _kind = kind;
        if (kind == UnaryKind.LeakyRelu) Known("alpha");
        else Known();
        _alpha = Float("alpha", 0.01f);
    }

    /// <summary>A plain Relu, which the plan may fuse into the step that produces its input.</summary>
    public bool IsRelu => _kind == UnaryKind.Relu;

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue x = RequiredFloat(inputs, 0);
        float alpha = _alpha;
        StepBody body = _kind switch
        {
            UnaryKind.Relu => (in StepIO io) => TensorPrimitives.Max(io.In(0), 0f, io.Out(0)),
            UnaryKind.Sigmoid => (in StepIO io) => TensorPrimitives.Sigmoid(io.In(0), io.Out(0)),
            UnaryKind.Tanh => (in StepIO io) => TensorPrimitives.Tanh(io.In(0), io.Out(0)),
            _ => (in StepIO io) =>
            {
                ReadOnlySpan<float> s = io.In(0);
                Span<float> d = io.Out(0);
                for (int i = 0; i < s.Length; i++) d[i] = s[i] >= 0f ? s[i] : alpha * s[i];
            },
        };
        return NodePlan.Compute(x.Shape, body, inPlace: true);
    }
}

/// <summary>Clip: bounds are attributes before opset 11 and optional scalar inputs from opset 11.</summary>
internal sealed class ClipOp : Operator
{
    private readonly float _min, _max;

    public ClipOp(NodeProto node, int opset) : base(node, opset)
    {
        if (opset < 11) Known("min", "max");
        else Known();
        _min = Float("min", float.NegativeInfinity);
        _max = Float("max", float.PositiveInfinity);
    }

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue x = RequiredFloat(inputs, 0);
        PlanValue? lo = Optional(inputs, 1), hi = Optional(inputs, 2);
        foreach (var bound in new[] { lo, hi })
        {
            if (bound is null) continue;
            if (bound.Type != OnnxDataType.Float) throw Fail($"bound '{bound.Name}' must be float32.");
            if (bound.Length != 1) throw Fail($"bound '{bound.Name}' must be a scalar, got {ShapeText(bound.Shape)}.");
        }
        float fixedMin = _min, fixedMax = _max;
        bool hasMin = lo is not null, hasMax = hi is not null;
        return NodePlan.Compute(x.Shape, (in StepIO io) =>
        {
            float min = hasMin ? io.In(1)[0] : fixedMin;
            float max = hasMax ? io.In(2)[0] : fixedMax;
            TensorPrimitives.Max(io.In(0), min, io.Out(0));
            TensorPrimitives.Min(io.Out(0), max, io.Out(0));
        }, inPlace: true);
    }
}

/// <summary>
/// Softmax / LogSoftmax. Opset 13+: along one axis (default -1). Before 13: the input is coerced to
/// 2-D at axis (default 1) and normalised over everything from axis on.
/// </summary>
internal sealed class SoftmaxOp : Operator
{
    private readonly bool _log;
    private readonly long _axis;

    public SoftmaxOp(NodeProto node, int opset, bool log) : base(node, opset)
    {
        _log = log;
        Known("axis");
        _axis = Int("axis", opset >= 13 ? -1 : 1);
    }

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue x = RequiredFloat(inputs, 0);
        int rank = x.Shape.Length;
        if (rank == 0) throw Fail("input must have rank >= 1.");
        int axis = Axis(_axis, rank);
        int outer = Shapes.Size(x.Shape, 0, axis);
        int n = Opset >= 13 ? x.Shape[axis] : Shapes.Size(x.Shape, axis);
        int inner = Opset >= 13 ? Shapes.Size(x.Shape, axis + 1) : 1;
        bool log = _log;
        return NodePlan.Compute(x.Shape, (in StepIO io) => Run(io.In(0), io.Out(0), outer, n, inner, log), inPlace: true);
    }

    private static void Run(ReadOnlySpan<float> x, Span<float> y, int outer, int n, int inner, bool log)
    {
        if (n == 0) return;
        for (int o = 0; o < outer; o++)
        {
            int baseIndex = o * n * inner;
            if (inner == 1)
            {
                var row = x.Slice(baseIndex, n);
                var dst = y.Slice(baseIndex, n);
                float max = TensorPrimitives.Max(row);
                TensorPrimitives.Subtract(row, max, dst);
                if (log)
                {
                    float sum = 0f;
                    foreach (float v in dst) sum += MathF.Exp(v);
                    TensorPrimitives.Subtract(dst, MathF.Log(sum), dst);
                }
                else
                {
                    TensorPrimitives.Exp(dst, dst);
                    float sum = TensorPrimitives.Sum(dst);
                    TensorPrimitives.Divide(dst, sum, dst);
                }
                continue;
            }
            for (int i = 0; i < inner; i++)
            {
                float max = float.NegativeInfinity;
                for (int k = 0; k < n; k++) max = MathF.Max(max, x[baseIndex + k * inner + i]);
                float sum = 0f;
                for (int k = 0; k < n; k++) sum += MathF.Exp(x[baseIndex + k * inner + i] - max);
                float logSum = MathF.Log(sum);
                for (int k = 0; k < n; k++)
                {
                    float shifted = x[baseIndex + k * inner + i] - max;
                    y[baseIndex + k * inner + i] = log ? shifted - logSum : MathF.Exp(shifted) / sum;
                }
            }
        }
    }
}

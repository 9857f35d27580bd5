// Layers: Conv, MaxPool/AveragePool, GlobalAveragePool, Gemm, MatMul, BatchNormalization. The math
// runs in the shared Kernels (Conv2dKernel, Pool2dKernel, Gemm); 1-D windows run as 2-D with H = 1.
using System.Numerics.Tensors;
using Mnist.ML.Kernels;
using Mnist.ML.Onnx.Proto;

namespace Mnist.ML.Onnx.Executor.Operators;

/// <summary>Sliding-window attributes shared by Conv and the pools (kernel, strides, pads, dilations, auto_pad).</summary>
internal abstract class WindowOp : Operator
{
    protected WindowOp(NodeProto node, int opset) : base(node, opset)
    {
        AutoPad = String("auto_pad", "NOTSET");
        if (AutoPad is not ("NOTSET" or "VALID" or "SAME_UPPER" or "SAME_LOWER")) throw Fail($"auto_pad '{AutoPad}' is not valid.");
        KernelShape = Ints("kernel_shape");
        Strides = Ints("strides");
        Pads = Ints("pads");
        Dilations = Ints("dilations");
    }

    protected string AutoPad { get; }
    protected long[]? KernelShape { get; }
    protected long[]? Strides { get; }
    protected long[]? Pads { get; }
    protected long[]? Dilations { get; }

    /// <summary>Geometry for input (N, C, spatial...) with 1 or 2 spatial dims; K output channels.</summary>
    protected ConvGeometry Geometry(int[] x, int k, long[] kernel, bool ceilMode, out int[] outShape)
    {
        int spatial = x.Length - 2;
        if (spatial is < 1 or > 2) throw Fail($"input {ShapeText(x)} has {spatial} spatial dims; Mnist.ML supports 1-D and 2-D windows.");
        if (kernel.Length != spatial) throw Fail($"kernel_shape has {kernel.Length} dims, input has {spatial} spatial dims.");
        long[] strides = Strides ?? Enumerable.Repeat(1L, spatial).ToArray();
        long[] dilations = Dilations ?? Enumerable.Repeat(1L, spatial).ToArray();
        long[] pads = Pads ?? new long[2 * spatial];
        if (strides.Length != spatial || dilations.Length != spatial || pads.Length != 2 * spatial)
            throw Fail("strides, dilations and pads must match the number of spatial dims.");
        var begin = new int[2];
        var end = new int[2];
        var size = new int[] { 1, 1 };
        var kk = new int[] { 1, 1 };
        var s = new int[] { 1, 1 };
        var d = new int[] { 1, 1 };
        int offset = 2 - spatial; // 1-D runs as H = 1
        for (int i = 0; i < spatial; i++)
        {
            int j = i + offset;
            size[j] = x[2 + i];
            kk[j] = checked((int)kernel[i]);
            s[j] = checked((int)strides[i]);
            d[j] = checked((int)dilations[i]);
            if (kk[j] < 1 || s[j] < 1 || d[j] < 1) throw Fail("kernel, strides and dilations must be positive.");
            int dk = d[j] * (kk[j] - 1) + 1;
            switch (AutoPad)
            {
                case "VALID":
                    break;
                case "SAME_UPPER":
                case "SAME_LOWER":
                {
                    int outSize = (size[j] + s[j] - 1) / s[j];
                    int total = Math.Max(0, (outSize - 1) * s[j] + dk - size[j]);
                    begin[j] = AutoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                    end[j] = total - begin[j];
                    break;
                }
                default:
                    begin[j] = checked((int)pads[i]);
                    end[j] = checked((int)pads[i + spatial]);
                    if (begin[j] < 0 || end[j] < 0) throw Fail("negative pads are not supported.");
                    if (ceilMode)
                    {
                        int span = size[j] + begin[j] + end[j] - dk;
                        int outSize = (span + s[j] - 1) / s[j] + 1;
                        if ((outSize - 1) * s[j] >= size[j] + begin[j]) outSize--; // last window must start inside
                        end[j] += Math.Max(0, (outSize - 1) * s[j] + dk - (size[j] + begin[j] + end[j]));
                    }
                    break;
            }
            if (size[j] + begin[j] + end[j] < dk) throw Fail($"window {ShapeText(kk)} is larger than the padded input {ShapeText(x)}.");
        }
        var g = new ConvGeometry(x[0], x[1], size[0], size[1], k, kk[0], kk[1], s[0], s[1], begin[0], begin[1], end[0], end[1], d[0], d[1]);
        outShape = spatial == 1 ? [x[0], k, g.OW] : [x[0], k, g.OH, g.OW];
        return g;
    }
}

internal sealed class ConvOp : WindowOp
{
    private sealed record PackedWeights(float[] From, ConvWeights Packed);

    private PackedWeights? _lastPacked;

    public ConvOp(NodeProto node, int opset) : base(node, opset)
    {
        Known("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
        long group = Int("group", 1);
        if (group != 1) throw Fail($"group={group} (grouped or depthwise convolution) is not supported; Mnist.ML supports group=1.");
    }

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue x = RequiredFloat(inputs, 0), w = RequiredFloat(inputs, 1);
        PlanValue? b = Optional(inputs, 2);
        if (w.Shape.Length != x.Shape.Length) throw Fail($"weight {ShapeText(w.Shape)} and input {ShapeText(x.Shape)} ranks differ.");
        if (x.Shape.Length < 3) throw Fail($"input {ShapeText(x.Shape)} must be (N, C, spatial...).");
        if (w.Shape[1] != x.Shape[1]) throw Fail($"weight {ShapeText(w.Shape)} expects {w.Shape[1]} input channels, input {ShapeText(x.Shape)} has {x.Shape[1]}.");
        long[] kernel = w.Shape.Skip(2).Select(v => (long)v).ToArray();
        if (KernelShape is not null && !KernelShape.SequenceEqual(kernel)) throw Fail("kernel_shape does not match the weight.");
        int k = w.Shape[0];
        if (b is not null && (b.Type != OnnxDataType.Float || b.Length != k)) throw Fail($"bias must be float32 of length {k}.");
        ConvGeometry g = Geometry(x.Shape, k, kernel, ceilMode: false, out int[] shape);
        bool hasBias = b is not null;
        if (w.Constant?.Floats is not { } weights)
            return NodePlan.Compute(shape, (in StepIO io) => Conv2dKernel.Forward(io.In(0), io.In(1), hasBias ? io.In(2) : default, io.Out(0), g));
        // Constant weights (every exported model): packed once here instead of on every call, and
        // shared by the plans of every batch size (packing does not depend on N).
        PackedWeights? last = _lastPacked; // one reference read: plans built concurrently may both pack, either result is right
        ConvWeights packed = last is not null && ReferenceEquals(last.From, weights) && last.Packed.Fits(g)
            ? last.Packed : Conv2dKernel.PackWeights(weights, g);
        _lastPacked = new PackedWeights(weights, packed);
        // The pooled variant needs the channel-direct layout, which layers on another method pack once more.
        ConvWeights? pooledWeights = !Conv2dKernel.CanFuseMaxPool(g) ? null
            : packed.Method == ConvMethod.DirectChannels ? packed : Conv2dKernel.PackWeights(weights, g, ConvMethod.DirectChannels);
        return new NodePlan
        {
            Shapes = [shape],
            Body = (in StepIO io) => Conv2dKernel.Forward(io.In(0), packed, hasBias ? io.In(2) : default, io.Out(0), g, relu: false, KernelOptions.MaxThreads),
            BodyWithRelu = (in StepIO io) => Conv2dKernel.Forward(io.In(0), packed, hasBias ? io.In(2) : default, io.Out(0), g, relu: true, KernelOptions.MaxThreads),
            BodyWithMaxPool = pooledWeights is null ? null : relu => relu
                ? (in StepIO io) => Conv2dKernel.ForwardMaxPooled(io.In(0), pooledWeights, hasBias ? io.In(2) : default, io.Out(0), g, relu: true, KernelOptions.MaxThreads)
                : (in StepIO io) => Conv2dKernel.ForwardMaxPooled(io.In(0), pooledWeights, hasBias ? io.In(2) : default, io.Out(0), g, relu: false, KernelOptions.MaxThreads),
        };
    }
}

internal sealed class PoolOp : WindowOp
{
    private readonly bool _isMax, _ceil, _countIncludePad;

    public PoolOp(NodeProto node, int opset, bool isMax) : base(node, opset)
    {
        _isMax = isMax;
        if (isMax) Known("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides");
        else Known("auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides");
        if (KernelShape is null) throw Fail("kernel_shape is required.");
        _ceil = Int("ceil_mode", 0) != 0;
        _countIncludePad = Int("count_include_pad", 0) != 0;
        if (_ceil && _countIncludePad)
            throw Fail("ceil_mode=1 together with count_include_pad=1 is not supported.");
    }

    /// <summary>A 2x2 stride-2 max pool without padding, dilation, ceil mode or Indices output on this 4-D
    /// input: what a convolution can run fused (<see cref="NodePlan.BodyWithMaxPool"/>).</summary>
    public bool IsPlainMaxPool2x2(int[] inputShape) =>
        _isMax && !_ceil && Node.Output.Count == 1 && inputShape.Length == 4
        && Pool2dKernel.IsTwoByTwo(Geometry(inputShape, inputShape[1], KernelShape!, ceilMode: false, out _));

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue x = RequiredFloat(inputs, 0);
        if (x.Shape.Length < 3) throw Fail($"input {ShapeText(x.Shape)} must be (N, C, spatial...).");
        ConvGeometry g = Geometry(x.Shape, x.Shape[1], KernelShape!, _ceil, out int[] shape);
        bool countIncludePad = _countIncludePad;
        return _isMax
            ? NodePlan.Compute(shape, (in StepIO io) => Pool2dKernel.MaxForward(io.In(0), io.Out(0), default, g))
            : NodePlan.Compute(shape, (in StepIO io) => Pool2dKernel.AverageForward(io.In(0), io.Out(0), g, countIncludePad));
    }
}

internal sealed class GlobalAveragePoolOp : Operator
{
    public GlobalAveragePoolOp(NodeProto node, int opset) : base(node, opset) => Known();

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue x = RequiredFloat(inputs, 0);
        if (x.Shape.Length < 3) throw Fail($"input {ShapeText(x.Shape)} must be (N, C, spatial...).");
        int planes = x.Shape[0] * x.Shape[1], area = Shapes.Size(x.Shape, 2);
        int[] shape = [x.Shape[0], x.Shape[1], .. Enumerable.Repeat(1, x.Shape.Length - 2)];
        return NodePlan.Compute(shape, (in StepIO io) =>
        {
            ReadOnlySpan<float> s = io.In(0);
            Span<float> y = io.Out(0);
            for (int p = 0; p < planes; p++) y[p] = TensorPrimitives.Sum(s.Slice(p * area, area)) / area;
        });
    }
}

/// <summary>Gemm: Y = alpha * op(A) op(B) + beta * C, C broadcast to (M, N).</summary>
internal sealed class GemmOp : Operator
{
    private readonly float _alpha, _beta;
    private readonly bool _transA, _transB;

    public GemmOp(NodeProto node, int opset) : base(node, opset)
    {
        Known("alpha", "beta", "transA", "transB");
        _alpha = Float("alpha", 1f);
        _beta = Float("beta", 1f);
        _transA = Int("transA", 0) != 0;
        _transB = Int("transB", 0) != 0;
    }

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue a = RequiredFloat(inputs, 0), b = RequiredFloat(inputs, 1);
        PlanValue? c = Optional(inputs, 2);
        if (a.Shape.Length != 2 || b.Shape.Length != 2) throw Fail($"A {ShapeText(a.Shape)} and B {ShapeText(b.Shape)} must be matrices.");
        int m = _transA ? a.Shape[1] : a.Shape[0], k = _transA ? a.Shape[0] : a.Shape[1];
        int kb = _transB ? b.Shape[1] : b.Shape[0], n = _transB ? b.Shape[0] : b.Shape[1];
        if (k != kb) throw Fail($"inner dimensions differ: A {ShapeText(a.Shape)}{(_transA ? "^T" : "")}, B {ShapeText(b.Shape)}{(_transB ? "^T" : "")}.");
        int cRows = 0, cCols = 0;
        if (c is not null)
        {
            if (c.Type != OnnxDataType.Float) throw Fail("C must be float32.");
            int[] cs = c.Shape;
            if (cs.Length > 2) throw Fail($"C {ShapeText(cs)} must have rank <= 2.");
            cRows = cs.Length == 2 ? cs[0] : 1;
            cCols = cs.Length >= 1 ? cs[^1] : 1;
            if ((cRows != 1 && cRows != m) || (cCols != 1 && cCols != n)) throw Fail($"C {ShapeText(cs)} cannot be broadcast to [{m},{n}].");
        }
        float alpha = _alpha, beta = _beta;
        bool ta = _transA, tb = _transB, hasC = c is not null && beta != 0f;
        void Body(in StepIO io, bool relu)
        {
            Span<float> y = io.Out(0);
            Kernels.Gemm.Multiply(io.In(0), io.In(1), y, m, n, k, ta, tb);
            if (alpha != 1f) TensorPrimitives.Multiply(y, alpha, y);
            if (hasC)
            {
                ReadOnlySpan<float> cv = io.In(2);
                for (int i = 0; i < m; i++)
                {
                    Span<float> row = y.Slice(i * n, n);
                    if (cCols == n) TensorPrimitives.MultiplyAdd(cv.Slice(cRows == 1 ? 0 : i * n, n), beta, row, row);
                    else TensorPrimitives.Add(row, beta * cv[cRows == 1 ? 0 : i], row);
                }
            }
            if (relu) TensorPrimitives.Max(y, 0f, y);
        }
        return NodePlan.Compute([m, n], (in StepIO io) => Body(io, relu: false), withRelu: (in StepIO io) => Body(io, relu: true));
    }
}

/// <summary>MatMul with numpy semantics: 1-D operands promoted, batch dims broadcast.</summary>
internal sealed class MatMulOp : Operator
{
    public MatMulOp(NodeProto node, int opset) : base(node, opset) => Known();

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue a = RequiredFloat(inputs, 0), b = RequiredFloat(inputs, 1);
        if (a.Shape.Length == 0 || b.Shape.Length == 0) throw Fail("operands must have rank >= 1.");
        int[] sa = a.Shape.Length == 1 ? [1, a.Shape[0]] : a.Shape;
        int[] sb = b.Shape.Length == 1 ? [b.Shape[0], 1] : b.Shape;
        int m = sa[^2], k = sa[^1], n = sb[^1];
        if (sb[^2] != k) throw Fail($"inner dimensions differ: {ShapeText(a.Shape)} x {ShapeText(b.Shape)}.");
        int[] batchA = sa[..^2], batchB = sb[..^2];
        int[] batch = Shapes.Broadcast(batchA, batchB);
        var shape = new List<int>(batch);
        if (a.Shape.Length > 1) shape.Add(m);
        if (b.Shape.Length > 1) shape.Add(n);

        if (batchB.Length == 0 || Shapes.Size(batchB) == 1 && batchA.Length >= batchB.Length)
        {
            // Common case (weights are a matrix): fold A's batch into M, one GEMM.
            int rows = Shapes.Size(batch) * m;
            return NodePlan.Compute(shape.ToArray(), (in StepIO io) => Kernels.Gemm.Multiply(io.In(0), io.In(1), io.Out(0), rows, n, k));
        }

        int count = Shapes.Size(batch);
        int[] stA = Shapes.BroadcastStrides(batchA, batch), stB = Shapes.BroadcastStrides(batchB, batch), st = Shapes.Strides(batch);
        var offA = new int[count];
        var offB = new int[count];
        for (int i = 0; i < count; i++)
        {
            int rem = i;
            for (int d = 0; d < batch.Length; d++)
            {
                int q = rem / st[d];
                rem -= q * st[d];
                offA[i] += q * stA[d];
                offB[i] += q * stB[d];
            }
        }
        return NodePlan.Compute(shape.ToArray(), (in StepIO io) =>
        {
            ReadOnlySpan<float> x = io.In(0), w = io.In(1);
            Span<float> y = io.Out(0);
            for (int i = 0; i < count; i++)
                Kernels.Gemm.Multiply(x.Slice(offA[i] * m * k, m * k), w.Slice(offB[i] * k * n, k * n), y.Slice(i * m * n, m * n), m, n, k);
        });
    }
}

/// <summary>BatchNormalization in inference mode: y = (x - mean) / sqrt(var + eps) * scale + B per channel.</summary>
internal sealed class BatchNormalizationOp : Operator
{
    private readonly float _epsilon;

    public BatchNormalizationOp(NodeProto node, int opset) : base(node, opset)
    {
        Known("epsilon", "momentum", "spatial", "training_mode");
        _epsilon = Float("epsilon", 1e-5f);
        if (Int("training_mode", 0) != 0) throw Fail("training_mode=1 is not supported; export the model in inference (eval) mode.");
        if (Int("spatial", 1) != 1) throw Fail("spatial=0 is not supported.");
    }

    /// <summary>The epsilon added to the variance (attribute, default 1e-5).</summary>
    public float Epsilon => _epsilon;

    public override int MaxOutputs => 1;

    public override NodePlan Plan(PlanValue?[] inputs)
    {
        PlanValue x = RequiredFloat(inputs, 0);
        if (x.Shape.Length < 2) throw Fail($"input {ShapeText(x.Shape)} must be (N, C, ...).");
        int n = x.Shape[0], c = x.Shape[1], inner = Shapes.Size(x.Shape, 2);
        for (int i = 1; i <= 4; i++)
        {
            PlanValue p = RequiredFloat(inputs, i);
            if (p.Length != c) throw Fail($"parameter '{p.Name}' has {p.Length} values for {c} channels.");
        }
        float eps = _epsilon;
        return NodePlan.Compute(x.Shape, (in StepIO io) =>
        {
            ReadOnlySpan<float> s = io.In(0), scale = io.In(1), bias = io.In(2), mean = io.In(3), variance = io.In(4);
            Span<float> y = io.Out(0);
            for (int ch = 0; ch < c; ch++)
            {
                float mul = scale[ch] / MathF.Sqrt(variance[ch] + eps);
                float add = bias[ch] - mean[ch] * mul;
                for (int b = 0; b < n; b++)
                {
                    int o = (b * c + ch) * inner;
                    TensorPrimitives.Multiply(s.Slice(o, inner), mul, y.Slice(o, inner));
                    TensorPrimitives.Add(y.Slice(o, inner), add, y.Slice(o, inner));
                }
            }
        }, inPlace: true);
    }
}

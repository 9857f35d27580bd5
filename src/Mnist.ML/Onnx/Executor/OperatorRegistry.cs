// The operators the executor claims, by ONNX op_type (default domain). Each is verified by every
// libonnx-testdata node test for that operator (tests/Mnist.ML.Tests/Onnx/ConformanceTests.cs).
using Mnist.ML.Onnx.Executor.Operators;
using Mnist.ML.Onnx.Proto;

namespace Mnist.ML.Onnx.Executor;

internal static class OperatorRegistry
{
    private static readonly Dictionary<string, Func<NodeProto, int, Operator>> Factories = new(StringComparer.Ordinal)
    {
        ["Conv"] = (n, v) => new ConvOp(n, v),
        ["MaxPool"] = (n, v) => new PoolOp(n, v, isMax: true),
        ["AveragePool"] = (n, v) => new PoolOp(n, v, isMax: false),
        ["GlobalAveragePool"] = (n, v) => new GlobalAveragePoolOp(n, v),
        ["Gemm"] = (n, v) => new GemmOp(n, v),
        ["MatMul"] = (n, v) => new MatMulOp(n, v),
        ["Add"] = (n, v) => new BinaryOp(n, v, BinaryKind.Add),
        ["Sub"] = (n, v) => new BinaryOp(n, v, BinaryKind.Sub),
        ["Mul"] = (n, v) => new BinaryOp(n, v, BinaryKind.Mul),
        ["Div"] = (n, v) => new BinaryOp(n, v, BinaryKind.Div),
        ["Relu"] = (n, v) => new UnaryOp(n, v, UnaryKind.Relu),
        ["LeakyRelu"] = (n, v) => new UnaryOp(n, v, UnaryKind.LeakyRelu),
        ["Sigmoid"] = (n, v) => new UnaryOp(n, v, UnaryKind.Sigmoid),
        ["Tanh"] = (n, v) => new UnaryOp(n, v, UnaryKind.Tanh),
        ["Clip"] = (n, v) => new ClipOp(n, v),
        ["Softmax"] = (n, v) => new SoftmaxOp(n, v, log: false),
        ["LogSoftmax"] = (n, v) => new SoftmaxOp(n, v, log: true),
        ["BatchNormalization"] = (n, v) => new BatchNormalizationOp(n, v),
        ["Dropout"] = (n, v) => new DropoutOp(n, v),
        ["Identity"] = (n, v) => new IdentityOp(n, v),
        ["Flatten"] = (n, v) => new FlattenOp(n, v),
        ["Reshape"] = (n, v) => new ReshapeOp(n, v),
        ["Transpose"] = (n, v) => new TransposeOp(n, v),
        ["Squeeze"] = (n, v) => new SqueezeOp(n, v, unsqueeze: false),
        ["Unsqueeze"] = (n, v) => new SqueezeOp(n, v, unsqueeze: true),
        ["Concat"] = (n, v) => new ConcatOp(n, v),
        ["Constant"] = (n, v) => new ConstantOp(n, v),
        ["Shape"] = (n, v) => new ShapeOp(n, v),
        ["Gather"] = (n, v) => new GatherOp(n, v),
    };

    /// <summary>The op_type names this executor supports.</summary>
    public static IReadOnlyCollection<string> Supported => Factories.Keys;

    public static Operator Create(NodeProto node, int opset)
    {
        string name = string.IsNullOrEmpty(node.Name) ? $"<{node.OpType} -> {string.Join(",", node.Output)}>" : node.Name;
        if (node.Domain.Length != 0 && node.Domain != "ai.onnx")
            throw new OnnxModelException($"operator domain '{node.Domain}' is not supported; Mnist.ML runs standard ONNX (ai.onnx) operators only.", name, node.OpType);
        if (!Factories.TryGetValue(node.OpType, out var factory))
            throw new OnnxModelException($"operator is not supported by Mnist.ML. Supported operators: {string.Join(", ", Factories.Keys.Order(StringComparer.Ordinal))}.", name, node.OpType);
        Operator op = factory(node, opset);
        if (node.Output.Count > op.MaxOutputs && node.Output.Skip(op.MaxOutputs).Any(o => o.Length != 0))
            throw op.Fail($"this operator's optional output #{op.MaxOutputs} is not supported by Mnist.ML.");
        return op;
    }
}

// Load-time analysis of a ModelProto: opset check, initializers, typed inputs and outputs, every
// node bound to an operator implementation (attributes validated) and sorted topologically. Any
// problem becomes an OnnxModelException naming the node and operator.
using Mnist.ML.Onnx.Executor.Operators;
using Mnist.ML.Onnx.Proto;

namespace Mnist.ML.Onnx.Executor;

/// <summary>A graph input or output: name, element type and declared shape (null = dynamic dim).</summary>
internal sealed record GraphValue(string Name, OnnxDataType Type, int[]? Dims, string[]? DimNames);

internal sealed class OnnxGraph
{
    /// <summary>
    /// The ai.onnx opsets accepted. Old-opset-only attributes (broadcast, consumed_inputs, is_test...)
    /// are rejected per operator, so an old model either runs with the right semantics or fails to load.
    /// </summary>
    public const int MinOpset = 1, MaxOpset = 21;

    private OnnxGraph(int opset, Dictionary<string, OnnxTensor> initializers, List<GraphValue> inputs, List<GraphValue> outputs, List<Operator> operators)
    {
        Opset = opset;
        Initializers = initializers;
        Inputs = inputs;
        Outputs = outputs;
        Operators = operators;
    }

    public int Opset { get; }
    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }
    public IReadOnlyList<GraphValue> Inputs { get; }
    public IReadOnlyList<GraphValue> Outputs { get; }

    /// <summary>Operators in an order where every input is produced before it is read.</summary>
    public IReadOnlyList<Operator> Operators { get; }

    public static OnnxGraph Create(ModelProto model)
    {
        int opset = -1;
        foreach (var o in model.OpsetImport)
        {
            if (o.Domain.Length == 0 || o.Domain == "ai.onnx") opset = (int)Math.Clamp(o.Version, int.MinValue, int.MaxValue);
        }
        if (opset < 0 && model.IrVersion < 3) opset = 1;
        if (opset < MinOpset || opset > MaxOpset)
            throw new OnnxModelException($"The model uses ONNX opset {opset}; Mnist.ML supports opsets {MinOpset} to {MaxOpset}. Re-export the model with opset_version between {MinOpset} and {MaxOpset} (13 or later recommended).");

        GraphProto graph = model.Graph;
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer) initializers[t.Name] = OnnxTensor.FromProto(t);

        var inputs = new List<GraphValue>();
        foreach (var vi in graph.Input)
        {
            if (initializers.ContainsKey(vi.Name)) continue; // IR < 4 lists initializers as inputs too
            inputs.Add(ReadValueInfo(vi, "input"));
        }
        var outputs = graph.Output.Select(vi => ReadValueInfo(vi, "output")).ToList();
        if (outputs.Count == 0) throw new OnnxModelException("The graph declares no outputs.");

        var operators = new List<Operator>(graph.Node.Count);
        foreach (var node in graph.Node) operators.Add(OperatorRegistry.Create(node, opset));

        var sorted = Sort(operators, initializers, inputs, outputs);
        return new OnnxGraph(opset, initializers, inputs, outputs, FoldBatchNorms(sorted, initializers, outputs, opset));
    }

    /// <summary>
    /// Conv -> BatchNormalization (inference, every parameter an initializer, the Conv's output read by
    /// the BatchNormalization alone) becomes one Conv whose weights and bias include the normalisation:
    /// w'[k] = w[k] s[k], b'[k] = (b[k] - mean[k]) s[k] + B[k], s = scale / sqrt(var + eps), computed in
    /// double. ONNX Runtime does the same at load. It saves a pass over every such activation, and the
    /// Relu that usually follows then fuses into the Conv as well (ExecutionPlan). The folded tensors
    /// are new initializers; the model's own are left as they are.
    /// </summary>
    private static List<Operator> FoldBatchNorms(List<Operator> operators, Dictionary<string, OnnxTensor> initializers, List<GraphValue> outputs, int opset)
    {
        var readers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var op in operators)
            foreach (string name in op.Node.Input) readers[name] = readers.GetValueOrDefault(name) + 1;
        foreach (var output in outputs) readers[output.Name] = readers.GetValueOrDefault(output.Name) + 1;
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < operators.Count; i++)
            foreach (string name in operators[i].Node.Output) producer[name] = i;

        var result = new List<Operator>(operators);
        var folded = new HashSet<int>();
        for (int i = 0; i < operators.Count; i++)
        {
            if (operators[i] is not BatchNormalizationOp bn || bn.Node.Input.Count < 5 || bn.Node.Output.Count != 1) continue;
            if (!producer.TryGetValue(bn.Node.Input[0], out int c) || operators[c] is not ConvOp conv) continue;
            NodeProto convNode = conv.Node;
            if (convNode.Output.Count != 1 || readers.GetValueOrDefault(convNode.Output[0]) != 1) continue;
            if (!initializers.TryGetValue(convNode.Input[1], out OnnxTensor? w) || w.Floats is not { } weights || w.Shape.Length < 3) continue;
            float[]? bias = null;
            if (convNode.Input.Count > 2 && convNode.Input[2].Length > 0)
            {
                if (!initializers.TryGetValue(convNode.Input[2], out OnnxTensor? b) || b.Floats is null) continue;
                bias = b.Floats;
            }
            float[]? Parameter(int input) => initializers.TryGetValue(bn.Node.Input[input], out OnnxTensor? t) ? t.Floats : null;
            if (Parameter(1) is not { } scale || Parameter(2) is not { } shift || Parameter(3) is not { } mean || Parameter(4) is not { } variance) continue;
            int k = w.Shape[0];
            if (k == 0 || scale.Length != k || shift.Length != k || mean.Length != k || variance.Length != k || (bias is not null && bias.Length != k)) continue;

            int perChannel = weights.Length / k;
            var newWeights = new float[weights.Length];
            var newBias = new float[k];
            for (int channel = 0; channel < k; channel++)
            {
                double factor = scale[channel] / Math.Sqrt(variance[channel] + (double)bn.Epsilon);
                for (int j = 0; j < perChannel; j++)
                    newWeights[channel * perChannel + j] = (float)(weights[channel * perChannel + j] * factor);
                newBias[channel] = (float)(((bias?[channel] ?? 0.0) - mean[channel]) * factor + shift[channel]);
            }
            string weightName = FreshName(initializers, convNode.Input[1] + "/folded_bn");
            initializers[weightName] = new OnnxTensor(w.Shape, newWeights);
            string biasName = FreshName(initializers, bn.Node.Output[0] + "/folded_bias");
            initializers[biasName] = new OnnxTensor([k], newBias);

            NodeProto node = convNode.Clone();
            node.Input[1] = weightName;
            if (node.Input.Count > 2) node.Input[2] = biasName;
            else node.Input.Add(biasName);
            node.Output[0] = bn.Node.Output[0];
            result[c] = OperatorRegistry.Create(node, opset);
            folded.Add(i);
        }
        return folded.Count == 0 ? operators : [.. result.Where((_, i) => !folded.Contains(i))];
    }

    private static string FreshName(Dictionary<string, OnnxTensor> initializers, string name)
    {
        string candidate = name;
        for (int n = 2; initializers.ContainsKey(candidate); n++) candidate = $"{name}#{n}";
        return candidate;
    }

    private static GraphValue ReadValueInfo(ValueInfoProto vi, string role)
    {
        if (vi.Type?.TensorType is not { } tensorType)
            throw new OnnxModelException($"Graph {role} '{vi.Name}' is not a tensor (sequence, map and optional types are not supported).");
        OnnxDataType type = tensorType.ElemType switch
        {
            (int)TensorProto.Types.DataType.Float => OnnxDataType.Float,
            (int)TensorProto.Types.DataType.Int64 => OnnxDataType.Int64,
            _ => throw new OnnxModelException($"Graph {role} '{vi.Name}' has element type {OnnxTensor.DataTypeName(tensorType.ElemType)}; Mnist.ML computes in float32 (int64 only for shape-like inputs)."),
        };
        if (tensorType.Shape is null) return new GraphValue(vi.Name, type, null, null);
        var dims = new int[tensorType.Shape.Dim.Count];
        var names = new string[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            var d = tensorType.Shape.Dim[i];
            if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue is >= 0 and <= int.MaxValue)
            {
                dims[i] = (int)d.DimValue;
            }
            else
            {
                dims[i] = -1;
                names[i] = d.DimParam;
            }
        }
        return new GraphValue(vi.Name, type, dims, names);
    }

    /// <summary>Kahn's algorithm; also proves every node input exists.</summary>
    private static List<Operator> Sort(List<Operator> operators, Dictionary<string, OnnxTensor> initializers, List<GraphValue> inputs, List<GraphValue> outputs)
    {
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        var available = new HashSet<string>(initializers.Keys, StringComparer.Ordinal);
        foreach (var i in inputs) available.Add(i.Name);
        for (int n = 0; n < operators.Count; n++)
        {
            foreach (string o in operators[n].Node.Output)
            {
                if (o.Length == 0) continue;
                if (producer.ContainsKey(o) || available.Contains(o))
                    throw operators[n].Fail($"output '{o}' is defined twice in the graph.");
                producer[o] = n;
            }
        }

        var waiting = new int[operators.Count];
        var consumers = new List<int>[operators.Count];
        for (int n = 0; n < operators.Count; n++)
        {
            consumers[n] = [];
        }
        for (int n = 0; n < operators.Count; n++)
        {
            foreach (string i in operators[n].Node.Input)
            {
                if (i.Length == 0 || available.Contains(i)) continue;
                if (!producer.TryGetValue(i, out int p))
                    throw operators[n].Fail($"input '{i}' is not produced by any node, initializer or graph input; the file may be truncated.");
                waiting[n]++;
                consumers[p].Add(n);
            }
        }
        var ready = new Queue<int>();
        for (int n = 0; n < operators.Count; n++)
        {
            if (waiting[n] == 0) ready.Enqueue(n);
        }
        var order = new List<Operator>(operators.Count);
        while (ready.Count > 0)
        {
            int n = ready.Dequeue();
            order.Add(operators[n]);
            foreach (int c in consumers[n])
            {
                if (--waiting[c] == 0) ready.Enqueue(c);
            }
        }
        if (order.Count != operators.Count)
        {
            var stuck = operators.First(o => !order.Contains(o));
            throw stuck.Fail("the graph has a cycle through this node.");
        }
        foreach (var o in outputs)
        {
            if (!producer.ContainsKey(o.Name) && !available.Contains(o.Name))
                throw new OnnxModelException($"Graph output '{o.Name}' is not produced by any node; the file may be truncated.");
        }
        return order;
    }
}

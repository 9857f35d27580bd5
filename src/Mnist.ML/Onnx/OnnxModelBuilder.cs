// Builds ModelProto graphs in code: the writer side used by the trainer's exporter and by tests.
using Google.Protobuf;
using Mnist.ML.Onnx.Proto;

namespace Mnist.ML.Onnx;

/// <summary>Accumulates inputs, initializers, nodes, outputs and metadata, then produces a ModelProto.</summary>
internal sealed class OnnxModelBuilder
{
    /// <summary>IR version 8 (ONNX 1.10+) pairs with opsets up to 15; ONNX Runtime and onnx.checker accept it.</summary>
    public const long IrVersion = 8;

    private readonly ModelProto _model;
    private readonly GraphProto _graph;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _nodeCount;

    public OnnxModelBuilder(string graphName, int opset = 13, string producerName = "Mnist.ML", string? producerVersion = null)
    {
        _graph = new GraphProto { Name = graphName };
        _model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = producerName,
            ProducerVersion = producerVersion ?? typeof(OnnxModelBuilder).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = _graph,
        };
        _model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
    }

    /// <summary>A float32 graph input; null dims are dynamic and take their name from <paramref name="dimNames"/>.</summary>
    public string AddInput(string name, int?[] dims, string?[]? dimNames = null)
    {
        Claim(name);
        _graph.Input.Add(ValueInfo(name, dims, dimNames));
        return name;
    }

    public string AddOutput(string name, int?[] dims, string?[]? dimNames = null)
    {
        _graph.Output.Add(ValueInfo(name, dims, dimNames));
        return name;
    }

    public string AddInitializer(string name, OnnxTensor value)
    {
        Claim(name);
        _graph.Initializer.Add(value.ToProto(name));
        return name;
    }

    /// <summary>Adds a node; attribute values may be long, float, string, long[], float[] or OnnxTensor.</summary>
    public string[] AddNode(string opType, string[] inputs, string[] outputs, string? name = null, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name ?? $"{opType}_{_nodeCount}" };
        _nodeCount++;
        node.Input.AddRange(inputs);
        foreach (string o in outputs) Claim(o);
        node.Output.AddRange(outputs);
        foreach (var (attrName, value) in attributes) node.Attribute.Add(Attribute(attrName, value));
        _graph.Node.Add(node);
        return outputs;
    }

    public void AddMetadata(string key, string value) => _model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });

    public string DocString
    {
        get => _model.DocString;
        set => _model.DocString = value;
    }

    public ModelProto Build() => _model.Clone();

    private void Claim(string name)
    {
        if (!_names.Add(name)) throw new ArgumentException($"The value name '{name}' is already used in this graph.", nameof(name));
    }

    private static ValueInfoProto ValueInfo(string name, int?[] dims, string?[]? dimNames)
    {
        var shape = new TensorShapeProto();
        for (int i = 0; i < dims.Length; i++)
        {
            var d = new TensorShapeProto.Types.Dimension();
            if (dims[i] is int v) d.DimValue = v;
            else d.DimParam = dimNames?[i] ?? "N";
            shape.Dim.Add(d);
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static AttributeProto Attribute(string name, object value)
    {
        var a = new AttributeProto { Name = name };
        switch (value)
        {
            case long i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
            case int i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
            case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
            case string s: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
            case long[] ints: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ints); break;
            case int[] ints: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ints.Select(v => (long)v)); break;
            case float[] floats: a.Type = AttributeProto.Types.AttributeType.Floats; a.Floats.AddRange(floats); break;
            case OnnxTensor t: a.Type = AttributeProto.Types.AttributeType.Tensor; a.T = t.ToProto(""); break;
            default: throw new ArgumentException($"Attribute '{name}' has unsupported type {value?.GetType().Name ?? "null"}.", nameof(value));
        }
        return a;
    }
}

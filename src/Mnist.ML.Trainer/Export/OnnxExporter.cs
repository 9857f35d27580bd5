// Trained network -> ONNX (opset 13): input "input" float32 [N,1,28,28] with a dynamic batch, first
// output "logits" [N,10], optional "probabilities" = Softmax(logits), and the model card as
// metadata_props. Layers map one to one onto ONNX nodes; Dropout is the identity and is left out.
using Mnist.ML.Onnx;
using Mnist.ML.Onnx.Proto;
using Mnist.ML.Trainer.Layers;

namespace Mnist.ML.Trainer.Export;

/// <summary>Options for <see cref="OnnxExporter"/>. Immutable.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>Add a second output "probabilities" (Softmax over the logits). Default true.</summary>
    public bool IncludeProbabilities { get; init; } = true;

    /// <summary>The model card written into metadata_props (the architecture is always added).</summary>
    public ModelCard ModelCard { get; init; } = new();

    /// <summary>
    /// Temperature T of temperature scaling (fit it on validation data with
    /// <see cref="Evaluation.Calibration.FitTemperature"/>). The exported "logits" output is then the
    /// network's logits divided by T (calibrated logits), and "probabilities" their softmax; the digit
    /// (the arg max) does not change. T is folded into the weights and bias of the last layer, which
    /// must be fc (Linear), so the graph keeps the same operators; it is recorded in the card as
    /// <see cref="ModelCard.Keys.LogitsTemperature"/>. Default 1: raw logits, nothing recorded.
    /// </summary>
    public double Temperature
    {
        get => _temperature;
        init
        {
            if (!(value > 0 && double.IsFinite(value))) throw new ArgumentOutOfRangeException(nameof(Temperature), value, "The temperature must be a positive finite number (1 for none).");
            _temperature = value;
        }
    }

    private readonly double _temperature = 1;
}

/// <summary>
/// Writes a trained <see cref="Network"/> as an ONNX model (opset 13, IR 8) that Mnist.ML's executor,
/// ONNX Runtime and onnx.checker accept. Thread-safe as long as the network is not trained meanwhile.
/// </summary>
/// <example><code>
/// OnnxExporter.Export(result.Network, "mnist-cnn.onnx", new OnnxExportOptions
/// {
///     ModelCard = new ModelCard { TestAccuracy = 0.991, TrainedAt = DateTimeOffset.UtcNow },
/// });
/// </code></example>
public static class OnnxExporter
{
    /// <summary>The ai.onnx opset exported models use.</summary>
    public const int Opset = 13;

    /// <summary>Name of the input: float32 [N, 1, 28, 28], pixels 0..1, ink bright.</summary>
    public const string InputName = "input";

    /// <summary>Name of the first output: float32 [N, 10] logits.</summary>
    public const string LogitsName = "logits";

    /// <summary>Name of the optional second output: float32 [N, 10] class probabilities.</summary>
    public const string ProbabilitiesName = "probabilities";

    /// <summary>Exports to a file (created or overwritten).</summary>
    public static void Export(Network network, string path, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllBytes(path, ToBytes(network, options));
    }

    /// <summary>Exports to a stream (left open).</summary>
    public static void Export(Network network, Stream stream, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(ToBytes(network, options));
    }

    /// <summary>The bytes of the .onnx file.</summary>
    public static byte[] ToBytes(Network network, OnnxExportOptions? options = null) => OnnxModelFile.Write(ToProto(network, options));

    internal static ModelProto ToProto(Network network, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        options ??= new OnnxExportOptions();
        if (options.Temperature != 1 && network.Layers[^1] is not Linear)
        {
            throw new NotSupportedException($"A temperature is folded into the last layer, which must be fc (Linear); this network ends with '{network.Layers[^1].SpecToken}'.");
        }
        var b = new OnnxModelBuilder("mnist_ml", Opset);
        b.DocString = $"Mnist.ML network {network.Spec}";
        var shape = network.InputShape;
        string x = b.AddInput(InputName, [null, shape.Channels, shape.Height, shape.Width], ["N"]);

        foreach (var layer in network.Layers)
        {
            string name = $"{layer.Index}_{layer.SpecToken}";
            string y = $"{layer.Index}.out";
            switch (layer)
            {
                case Conv2d conv:
                    b.AddNode("Conv", [x, Weight(b, network, conv, 0), Weight(b, network, conv, 1)], [y], name,
                        ("kernel_shape", new long[] { conv.KernelSize, conv.KernelSize }),
                        ("strides", new long[] { conv.Stride, conv.Stride }),
                        ("pads", new long[] { conv.Padding, conv.Padding, conv.Padding, conv.Padding }),
                        ("dilations", new long[] { 1, 1 }),
                        ("group", 1L));
                    break;
                case MaxPool2d pool:
                    b.AddNode("MaxPool", [x], [y], name,
                        ("kernel_shape", new long[] { pool.KernelSize, pool.KernelSize }),
                        ("strides", new long[] { pool.Stride, pool.Stride }),
                        ("pads", new long[] { pool.Padding, pool.Padding, pool.Padding, pool.Padding }));
                    break;
                case AvgPool2d pool:
                    b.AddNode("AveragePool", [x], [y], name,
                        ("kernel_shape", new long[] { pool.KernelSize, pool.KernelSize }),
                        ("strides", new long[] { pool.Stride, pool.Stride }),
                        ("pads", new long[] { pool.Padding, pool.Padding, pool.Padding, pool.Padding }),
                        ("count_include_pad", 0L));
                    break;
                case ReLU:
                    b.AddNode("Relu", [x], [y], name);
                    break;
                case BatchNorm2d bn:
                    b.AddNode("BatchNormalization", [x, Weight(b, network, bn, 0), Weight(b, network, bn, 1), Weight(b, network, bn, 2), Weight(b, network, bn, 3)], [y], name,
                        ("epsilon", bn.Epsilon), ("momentum", 1f - bn.Momentum));
                    break;
                case Flatten:
                    b.AddNode("Flatten", [x], [y], name, ("axis", 1L));
                    break;
                case Dropout:
                    continue; // identity at inference
                case Linear fc: // the spec puts a Flatten before the first Linear
                    float scale = ReferenceEquals(fc, network.Layers[^1]) ? (float)(1 / options.Temperature) : 1f;
                    b.AddNode("Gemm", [x, Weight(b, network, fc, 0, scale), Weight(b, network, fc, 1, scale)], [y], name,
                        ("alpha", 1f), ("beta", 1f), ("transB", 1L));
                    break;
                default:
                    throw new NotSupportedException($"Layer {layer.Index} ({layer.GetType().Name}, '{layer.SpecToken}') has no ONNX export.");
            }
            x = y;
        }

        // Name the final value "logits": an Identity keeps layer outputs uniformly named.
        b.AddNode("Identity", [x], [LogitsName], "logits");
        b.AddOutput(LogitsName, [null, network.OutputSize], ["N"]);
        if (options.IncludeProbabilities)
        {
            b.AddNode("Softmax", [LogitsName], [ProbabilitiesName], "softmax", ("axis", 1L));
            b.AddOutput(ProbabilitiesName, [null, network.OutputSize], ["N"]);
        }
        foreach (var (key, value) in options.ModelCard.ToMetadata(network.Spec)) b.AddMetadata(key, value);
        if (options.Temperature != 1) b.AddMetadata(ModelCard.Keys.LogitsTemperature, options.Temperature.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        return b.Build();
    }

    /// <summary>The layer's i-th slice (PyTorch name, e.g. "0.weight") as an initializer.</summary>
    private static string Weight(OnnxModelBuilder b, Network network, Layer layer, int index, float scale = 1f)
    {
        ParameterSlice s = layer.Slices[index];
        float[] source = s.Trainable ? network.Parameters : network.Buffers;
        float[] values = source.AsSpan(s.Offset, s.Length).ToArray();
        if (scale != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(values, scale, values);
        return b.AddInitializer(s.Name, new OnnxTensor(s.Shape, values));
    }
}

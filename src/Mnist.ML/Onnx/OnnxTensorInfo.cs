// Public description of a model input or output.
namespace Mnist.ML.Onnx;

/// <summary>
/// Name, element type and shape of an ONNX model input or output. A null dimension is dynamic
/// (typically the batch size); <see cref="DimensionNames"/> gives its symbolic name when the file has one.
/// Immutable and thread-safe.
/// </summary>
/// <param name="Name">The tensor's name in the graph (e.g. "input", "logits").</param>
/// <param name="ElementType">The element type: "float32" or "int64".</param>
/// <param name="Dimensions">The shape; null entries are dynamic. Null when the file declares no shape.</param>
/// <param name="DimensionNames">Symbolic names of dynamic dimensions (e.g. "batch"), null where none.</param>
public sealed record OnnxTensorInfo(string Name, string ElementType, IReadOnlyList<int?>? Dimensions, IReadOnlyList<string?>? DimensionNames)
{
    /// <summary>Shape as text, e.g. "[batch,1,28,28]".</summary>
    public override string ToString() =>
        $"{Name}: {ElementType}" + (Dimensions is null ? "" : "[" + string.Join(",", Dimensions.Select((d, i) => d?.ToString() ?? DimensionNames?[i] ?? "?")) + "]");
}

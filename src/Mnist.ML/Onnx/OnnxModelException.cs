// The one exception type the ONNX reader and executor throw for a file they cannot load.
namespace Mnist.ML.Onnx;

/// <summary>
/// Thrown when an ONNX file cannot be loaded: it is not valid ONNX protobuf, is truncated, or uses an
/// operator, opset, attribute or data type the Mnist.ML executor does not support. The message names
/// the node and operator at fault (<see cref="NodeName"/>, <see cref="OperatorType"/>) and what to do.
/// These errors are raised by <see cref="OnnxModel.Load(string)"/>, never in the middle of inference.
/// </summary>
public sealed class OnnxModelException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public OnnxModelException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public OnnxModelException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a specific node of the graph.</summary>
    public OnnxModelException(string message, string? nodeName, string? operatorType, Exception? innerException = null)
        : base(Describe(message, nodeName, operatorType), innerException)
    {
        NodeName = nodeName;
        OperatorType = operatorType;
    }

    /// <summary>The name of the graph node at fault, when the error concerns one node.</summary>
    public string? NodeName { get; }

    /// <summary>The operator type (e.g. "Conv") of the node at fault, when the error concerns one node.</summary>
    public string? OperatorType { get; }

    private static string Describe(string message, string? nodeName, string? operatorType) =>
        nodeName is null && operatorType is null ? message : $"Node '{nodeName}' ({operatorType}): {message}";
}

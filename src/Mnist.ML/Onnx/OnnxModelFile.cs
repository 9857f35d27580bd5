// Reads and writes .onnx files (ModelProto in protobuf binary) with our onnx.proto subset. Reading
// turns every protobuf or structural error into an OnnxModelException; fields outside the subset
// are skipped.
using Google.Protobuf;
using Mnist.ML.Onnx.Proto;

namespace Mnist.ML.Onnx;

internal static class OnnxModelFile
{
    /// <summary>Parses a model and checks that it has a graph; nothing is executed yet.</summary>
    public static ModelProto Read(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) throw new OnnxModelException("The ONNX file is empty.");
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxModelException($"Not a valid ONNX file (protobuf error: {e.Message}). The file may be truncated or not an .onnx model.", e);
        }
        if (!model.HasIrVersion || model.IrVersion <= 0)
            throw new OnnxModelException("Not a valid ONNX file: ir_version is missing. The file may be truncated or not an .onnx model.");
        if (model.Graph is null)
            throw new OnnxModelException("Not a valid ONNX file: the model has no graph. The file may be truncated.");
        return model;
    }

    public static ModelProto Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Read(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    public static ModelProto Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Read(File.ReadAllBytes(path));
    }

    public static byte[] Write(ModelProto model) => model.ToByteArray();

    public static void Write(ModelProto model, Stream stream) => model.WriteTo(stream);

    public static void Write(ModelProto model, string path)
    {
        using var file = File.Create(path);
        model.WriteTo(file);
    }
}

// A dense tensor as the executor sees it: a shape and float32 or int64 data. Converts to and from
// TensorProto (raw_data little-endian or the typed float_data / int32_data / int64_data fields).
using System.Buffers.Binary;
using Google.Protobuf;
using Mnist.ML.Onnx.Proto;

namespace Mnist.ML.Onnx;

/// <summary>Element types the executor computes with. int64 holds shapes and indices only.</summary>
internal enum OnnxDataType
{
    Float = 1,
    Int64 = 7,
}

/// <summary>A dense row-major tensor of float32 or int64 values (immutable by convention).</summary>
internal sealed class OnnxTensor
{
    public OnnxTensor(int[] shape, float[] data)
    {
        CheckLength(shape, data.Length);
        Shape = shape;
        Floats = data;
        Type = OnnxDataType.Float;
    }

    public OnnxTensor(int[] shape, long[] data)
    {
        CheckLength(shape, data.Length);
        Shape = shape;
        Longs = data;
        Type = OnnxDataType.Int64;
    }

    public OnnxDataType Type { get; }
    public int[] Shape { get; }
    public float[]? Floats { get; }
    public long[]? Longs { get; }
    public int Length => Floats?.Length ?? Longs!.Length;

    /// <summary>The same data under another shape of equal element count (views share data).</summary>
    public OnnxTensor Reshape(int[] shape) => Floats is not null ? new OnnxTensor(shape, Floats) : new OnnxTensor(shape, Longs!);

    public static OnnxTensor Scalar(float value) => new([], [value]);

    /// <summary>Values as int64, for shape and index tensors (float is rejected: it is not an index).</summary>
    public long[] AsLongs(string what) =>
        Longs ?? throw new InvalidDataException($"{what} must be an int64 tensor, not float.");

    public static int SizeOf(ReadOnlySpan<int> shape)
    {
        long size = 1;
        foreach (int d in shape)
        {
            size *= d;
            if (size > Array.MaxLength) throw new InvalidDataException($"Tensor of shape [{string.Join(",", shape.ToArray())}] is too large.");
        }
        return (int)size;
    }

    private static void CheckLength(int[] shape, int length)
    {
        if (SizeOf(shape) != length)
            throw new ArgumentException($"Shape [{string.Join(",", shape)}] needs {SizeOf(shape)} values, got {length}.");
    }

    /// <summary>Reads an initializer or Constant value; int32 data is widened to int64.</summary>
    public static OnnxTensor FromProto(TensorProto proto)
    {
        string name = string.IsNullOrEmpty(proto.Name) ? "(unnamed)" : proto.Name;
        if (proto.DataLocation == TensorProto.Types.DataLocation.External)
            throw new OnnxModelException($"Tensor '{name}' keeps its data in an external file, which Mnist.ML does not read. Save the model with all tensors inside the .onnx file.");
        var shape = new int[proto.Dims.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            long d = proto.Dims[i];
            if (d < 0 || d > int.MaxValue) throw new OnnxModelException($"Tensor '{name}' has invalid dimension {d}.");
            shape[i] = (int)d;
        }
        int count;
        try { count = SizeOf(shape); }
        catch (InvalidDataException e) { throw new OnnxModelException($"Tensor '{name}': {e.Message}"); }
        ReadOnlySpan<byte> raw = proto.HasRawData ? proto.RawData.Span : default;
        switch ((TensorProto.Types.DataType)proto.DataType)
        {
            case TensorProto.Types.DataType.Float:
                return new OnnxTensor(shape, proto.HasRawData
                    ? FromRaw(raw, count, 4, name, b => BinaryPrimitives.ReadSingleLittleEndian(b))
                    : FromTyped(proto.FloatData, count, name, "float_data", v => v));
            case TensorProto.Types.DataType.Int64:
                return new OnnxTensor(shape, proto.HasRawData
                    ? FromRaw(raw, count, 8, name, b => BinaryPrimitives.ReadInt64LittleEndian(b))
                    : FromTyped(proto.Int64Data, count, name, "int64_data", v => v));
            case TensorProto.Types.DataType.Int32: // widened: int64 is the executor's index type
                return new OnnxTensor(shape, proto.HasRawData
                    ? FromRaw(raw, count, 4, name, b => (long)BinaryPrimitives.ReadInt32LittleEndian(b))
                    : FromTyped(proto.Int32Data, count, name, "int32_data", v => (long)v));
            default:
                throw new OnnxModelException($"Tensor '{name}' has data type {DataTypeName(proto.DataType)}; Mnist.ML computes in float32 and reads int64/int32 for shapes and indices only.");
        }
    }

    private static T[] FromRaw<T>(ReadOnlySpan<byte> raw, int count, int size, string name, ReadElement<T> read)
    {
        if (raw.Length != (long)count * size)
            throw new OnnxModelException($"Tensor '{name}' has {raw.Length} bytes of raw_data where its shape needs {(long)count * size}; the file is truncated or corrupt.");
        var data = new T[count];
        for (int i = 0; i < count; i++) data[i] = read(raw.Slice(i * size, size));
        return data;
    }

    private static T[] FromTyped<TSource, T>(IList<TSource> values, int count, string name, string field, Func<TSource, T> convert)
    {
        if (values.Count != count)
            throw new OnnxModelException($"Tensor '{name}' has {values.Count} values in {field} where its shape needs {count}; the file is truncated or corrupt.");
        var data = new T[count];
        for (int i = 0; i < count; i++) data[i] = convert(values[i]);
        return data;
    }

    private delegate T ReadElement<T>(ReadOnlySpan<byte> bytes);

    /// <summary>Writes the tensor as raw_data (little-endian), the form exporters use.</summary>
    public TensorProto ToProto(string name)
    {
        var proto = new TensorProto { Name = name, DataType = (int)Type };
        foreach (int d in Shape) proto.Dims.Add(d);
        byte[] bytes;
        if (Floats is not null)
        {
            bytes = new byte[Floats.Length * 4];
            for (int i = 0; i < Floats.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), Floats[i]);
        }
        else
        {
            bytes = new byte[Longs!.Length * 8];
            for (int i = 0; i < Longs.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), Longs[i]);
        }
        proto.RawData = ByteString.CopyFrom(bytes);
        return proto;
    }

    /// <summary>The specification's name of a TensorProto.DataType value, for messages.</summary>
    public static string DataTypeName(int dataType) =>
        Enum.IsDefined((TensorProto.Types.DataType)dataType) ? ((TensorProto.Types.DataType)dataType).ToString().ToUpperInvariant() : $"#{dataType}";

    public override string ToString() => $"{Type}[{string.Join(",", Shape)}]";
}

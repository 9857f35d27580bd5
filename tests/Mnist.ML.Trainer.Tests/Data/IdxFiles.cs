// Builds small IDX files (valid or broken on purpose) for the data tests.
using System.Buffers.Binary;

namespace Mnist.ML.Trainer.Tests.Data;

internal static class IdxFiles
{
    /// <summary>An IDX image file: header (magic, count, rows, cols) then the pixels; pixel i of image n is (n * 7 + i) % 256.</summary>
    public static byte[] Images(int count, int rows = 28, int cols = 28, int magic = 0x00000803, int? declaredCount = null)
    {
        var bytes = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), declaredCount ?? count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        for (int n = 0; n < count; n++)
        {
            for (int i = 0; i < rows * cols; i++)
            {
                bytes[16 + n * rows * cols + i] = (byte)((n * 7 + i) % 256);
            }
        }
        return bytes;
    }

    /// <summary>An IDX label file holding <paramref name="labels"/>.</summary>
    public static byte[] Labels(byte[] labels, int magic = 0x00000801, int? declaredCount = null)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), declaredCount ?? labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }
}

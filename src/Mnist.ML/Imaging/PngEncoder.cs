// Minimal PNG writer: 8-bit grayscale, no interlace, filter 0, zlib via System.IO.Compression. Enough to save what the model saw.
using System.Buffers.Binary;
using System.IO.Compression;

namespace Mnist.ML.Imaging;

internal static class PngEncoder
{
    /// <summary>Encodes (height, width) gray bytes, 0 = black, as a PNG file.</summary>
    public static byte[] EncodeGray8(ReadOnlySpan<byte> pixels, int width, int height)
    {
        if (width <= 0 || height <= 0 || pixels.Length != (long)width * height)
        {
            throw new ArgumentException($"{pixels.Length} gray bytes do not make a {width}x{height} image.", nameof(pixels));
        }
        using var output = new MemoryStream();
        output.Write(PngDecoder.Signature);

        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 0;  // colour type: grayscale
        WriteChunk(output, "IHDR"u8, ihdr);

        using (var raw = new MemoryStream())
        {
            using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            {
                for (int y = 0; y < height; y++)
                {
                    z.WriteByte(0); // filter: none; rows this small gain nothing from filtering
                    z.Write(pixels.Slice(y * width, width));
                }
            }
            WriteChunk(output, "IDAT"u8, raw.GetBuffer().AsSpan(0, (int)raw.Length));
        }
        WriteChunk(output, "IEND"u8, []);
        return output.ToArray();
    }

    private static void WriteChunk(Stream output, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        output.Write(type);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Append(Crc32.Compute(type), data));
        output.Write(word);
    }
}

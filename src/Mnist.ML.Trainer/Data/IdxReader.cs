// Reads MNIST's IDX files, raw or gzip-compressed: a big-endian header (magic, dimensions) followed
// by one unsigned byte per label or pixel. Every way a file can be wrong becomes a DatasetFormatException.
using System.Buffers.Binary;
using System.IO.Compression;

namespace Mnist.ML.Trainer.Data;

/// <summary>
/// Reads IDX files of unsigned bytes as MNIST ships them: images (magic 0x00000803, N x 28 x 28) and
/// labels (magic 0x00000801, N). Files may be raw or gzip-compressed; compression is recognised from
/// the content (1F 8B), not the file name. Stateless and thread-safe.
/// </summary>
public static class IdxReader
{
    internal const int ImageMagic = 0x00000803; // type 0x08 (unsigned byte), 3 dimensions
    internal const int LabelMagic = 0x00000801; // type 0x08 (unsigned byte), 1 dimension
    internal const int Side = 28;

    /// <summary>
    /// Reads an IDX image file of 28x28 images and returns its pixels, Count x 784 bytes row-major,
    /// 0 = background, 255 = ink (MNIST's own convention).
    /// </summary>
    /// <exception cref="DatasetFormatException">The file is not an IDX image file of 28x28 images, or is truncated.</exception>
    public static byte[] ReadImages(string path)
    {
        using var stream = OpenFile(path);
        return ReadImages(stream, path);
    }

    /// <summary>Reads IDX images from a stream; <paramref name="name"/> names the source in error messages.</summary>
    /// <exception cref="DatasetFormatException">The content is not an IDX image file of 28x28 images, or is truncated.</exception>
    public static byte[] ReadImages(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Read(stream, name, images: true);
    }

    /// <summary>Reads an IDX label file and returns one byte per label, each checked to be 0..9.</summary>
    /// <exception cref="DatasetFormatException">The file is not an IDX label file, is truncated, or holds a label above 9.</exception>
    public static byte[] ReadLabels(string path)
    {
        using var stream = OpenFile(path);
        return ReadLabels(stream, path);
    }

    /// <summary>Reads IDX labels from a stream; <paramref name="name"/> names the source in error messages.</summary>
    /// <exception cref="DatasetFormatException">The content is not an IDX label file, is truncated, or holds a label above 9.</exception>
    public static byte[] ReadLabels(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] labels = Read(stream, name, images: false);
        int bad = labels.AsSpan().IndexOfAnyExceptInRange((byte)0, (byte)9);
        if (bad >= 0)
        {
            throw new DatasetFormatException(name, $"label {bad} is {labels[bad]}; digit labels must be 0..9.");
        }
        return labels;
    }

    /// <summary>
    /// Opens <paramref name="stream"/> for reading its decompressed content: a gzip stream when it
    /// starts with the gzip magic 1F 8B, the stream itself otherwise. Non-seekable streams are
    /// buffered in memory so that the first bytes can be sniffed.
    /// </summary>
    internal static Stream Decompressed(Stream stream)
    {
        if (!stream.CanSeek)
        {
            var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            buffer.Position = 0;
            stream = buffer;
        }
        long start = stream.Position;
        Span<byte> magic = stackalloc byte[2];
        int read = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = start;
        bool gzip = read == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        return gzip ? new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true) : stream;
    }

    private static FileStream OpenFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} not found. Run scripts/fetch-mnist.sh (or 'mnist data fetch') to get the MNIST files.", path);
        }
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
    }

    private static byte[] Read(Stream source, string name, bool images)
    {
        Stream stream = Decompressed(source);
        try
        {
            return ReadDecompressed(stream, name, images);
        }
        catch (InvalidDataException e)
        {
            // GZipStream's way of saying the compressed data is corrupt.
            throw new DatasetFormatException(name, $"the gzip data is corrupt ({e.Message}).", e);
        }
        finally
        {
            if (!ReferenceEquals(stream, source))
            {
                stream.Dispose();
            }
        }
    }

    private static byte[] ReadDecompressed(Stream stream, string name, bool images)
    {
        string kind = images ? "image" : "label";
        int expectedMagic = images ? ImageMagic : LabelMagic;
        int headerSize = images ? 16 : 8;

        Span<byte> header = stackalloc byte[16];
        header = header[..headerSize];
        int got = stream.ReadAtLeast(header, headerSize, throwOnEndOfStream: false);
        int magic = got >= 4 ? BinaryPrimitives.ReadInt32BigEndian(header) : 0;
        if (got >= 4 && magic != expectedMagic)
        {
            string what = magic switch
            {
                ImageMagic => "an IDX image file",
                LabelMagic => "an IDX label file",
                _ => "not an IDX file of unsigned bytes",
            };
            throw new DatasetFormatException(name, $"wrong magic number 0x{magic:X8} ({what}); an IDX {kind} file starts with 0x{expectedMagic:X8}.");
        }
        if (got < headerSize)
        {
            throw new DatasetFormatException(name, $"truncated: {got} bytes, shorter than the {headerSize}-byte header of an IDX {kind} file.");
        }

        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        long itemSize = 1;
        if (images)
        {
            int rows = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
            int cols = BinaryPrimitives.ReadInt32BigEndian(header[12..]);
            if (rows != Side || cols != Side)
            {
                throw new DatasetFormatException(name, $"images are {rows}x{cols}; MNIST images are {Side}x{Side}.");
            }
            itemSize = Side * Side;
        }
        long length = count * itemSize;
        if (count < 0 || length > Array.MaxLength)
        {
            throw new DatasetFormatException(name, $"the header declares {count} {kind}s, which is not a valid count.");
        }

        var data = new byte[length];
        int read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (read < data.Length)
        {
            throw new DatasetFormatException(name,
                $"truncated: the header declares {count} {kind}s ({length} bytes of data) but only {read} bytes follow it.");
        }
        if (stream.ReadByte() >= 0)
        {
            throw new DatasetFormatException(name, $"has bytes after the {count} {kind}s its header declares.");
        }
        return data;
    }
}

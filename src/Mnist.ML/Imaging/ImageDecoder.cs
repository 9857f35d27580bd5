// Picks the decoder from the first bytes (never the file name) and turns any low-level failure into our two exceptions.
namespace Mnist.ML.Imaging;

internal static class ImageDecoder
{
    /// <summary>Decodes PNG, JPEG, BMP or GIF (first frame) into RGBA.</summary>
    public static Image Decode(ReadOnlySpan<byte> data, ImageDecodeOptions? options = null)
    {
        options ??= ImageDecodeOptions.Default;
        if (data.Length > options.MaxBytes)
        {
            throw new UnsupportedImageException(
                $"Image is {data.Length:N0} bytes, over the limit of {options.MaxBytes:N0} bytes. Shrink it or raise ImageDecodeOptions.MaxBytes.");
        }
        ImageFormat format = Sniff(data);
        try
        {
            return DecodeUnguarded(data, format, options);
        }
        // Defence in depth: decoders validate what they read, but should a corrupt file still reach
        // an index or arithmetic check, the caller gets the documented exception, not a crash.
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or OverflowException or InvalidDataException or EndOfStreamException)
        {
            throw new ImageFormatException($"{format} image is corrupt: {e.Message}", e);
        }
    }

    /// <summary>The decoders without the safety net: the fuzz test calls this so a missed check shows up as the raw exception.</summary>
    internal static Image DecodeUnguarded(ReadOnlySpan<byte> data, ImageFormat format, ImageDecodeOptions options) => format switch
    {
        ImageFormat.Png => PngDecoder.Decode(data, options),
        ImageFormat.Jpeg => JpegDecoder.Decode(data, options),
        ImageFormat.Bmp => BmpDecoder.Decode(data, options),
        ImageFormat.Gif => GifDecoder.Decode(data, options),
        _ => throw new UnsupportedImageException(DescribeUnknown(data)),
    };

    /// <summary>Reads at most <see cref="ImageDecodeOptions.MaxBytes"/> + 1 bytes from the stream, then decodes.</summary>
    public static Image Decode(Stream stream, ImageDecodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        options ??= ImageDecodeOptions.Default;
        return Decode(ReadLimited(stream, options.MaxBytes), options);
    }

    /// <summary>Asynchronous <see cref="ReadLimited"/>, for request bodies and network streams.</summary>
    public static async Task<byte[]> ReadLimitedAsync(Stream stream, long maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                throw TooLarge(maxBytes);
            }
        }
        return buffer.ToArray();
    }

    private static UnsupportedImageException TooLarge(long maxBytes) => new(
        $"Image is larger than the limit of {maxBytes:N0} bytes. Shrink it or raise ImageDecodeOptions.MaxBytes.");

    /// <summary>Reads the whole stream but stops one byte past the limit, so a huge upload is refused without buffering it.</summary>
    public static byte[] ReadLimited(Stream stream, long maxBytes)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                throw TooLarge(maxBytes);
            }
        }
        return buffer.ToArray();
    }

    public static ImageFormat Sniff(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith(PngDecoder.Signature))
        {
            return ImageFormat.Png;
        }
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            return ImageFormat.Jpeg;
        }
        if (data.StartsWith("BM"u8))
        {
            return ImageFormat.Bmp;
        }
        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
        {
            return ImageFormat.Gif;
        }
        return ImageFormat.Unknown;
    }

    private static string DescribeUnknown(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return "The image is empty (0 bytes).";
        }
        string head = Convert.ToHexString(data[..Math.Min(8, data.Length)]);
        string hint = data.StartsWith("RIFF"u8) ? " It looks like WebP." :
            data.StartsWith("II*\0"u8) || data.StartsWith("MM\0*"u8) ? " It looks like TIFF." : "";
        return $"Unknown image format (first bytes {head}).{hint} Supported: PNG, JPEG, BMP, GIF; convert the image to one of them.";
    }
}

internal enum ImageFormat
{
    Unknown,
    Png,
    Jpeg,
    Bmp,
    Gif,
}

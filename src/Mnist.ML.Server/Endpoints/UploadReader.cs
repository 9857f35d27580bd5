// Reads images out of a request — a multipart upload or a raw body — within the configured size limits,
// with errors that say how to send the image right.
using Mnist.ML.Imaging;
using Mnist.ML.Server.Infrastructure;

namespace Mnist.ML.Server.Endpoints;

/// <summary>One uploaded image: its bytes and, for a multipart file, its file name.</summary>
public sealed record UploadedImage(string? FileName, byte[] Bytes);

internal static class UploadReader
{
    /// <summary>The multipart field POST /predict reads.</summary>
    public const string FileField = "file";

    /// <summary>The image of POST /predict: multipart field 'file', or the whole body.</summary>
    public static async Task<byte[]> ReadSingleAsync(HttpRequest request, MnistServerOptions limits, CancellationToken ct)
    {
        long maxBytes = limits.MaxUploadBytes;
        if (IsMultipart(request))
        {
            IFormCollection form = await ReadFormAsync(request, limits.MaxRequestBytes, ct);
            IFormFile file = form.Files.GetFile(FileField) ?? throw new BadHttpRequestException(form.Files.Count == 0
                ? $"The multipart body has no file. Send the image in the field '{FileField}', e.g. curl -F '{FileField}=@digit.png'."
                : $"The multipart body has no field '{FileField}' (it has {string.Join(", ", form.Files.Select(f => $"'{f.Name}'"))}). Send the image as -F '{FileField}=@digit.png'.");
            return await ReadFileAsync(file, 0, maxBytes, ct);
        }
        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.TransferEncoding.Any()))
        {
            throw new BadHttpRequestException(
                $"The request has no image. Send it as multipart field '{FileField}' (curl -F '{FileField}=@digit.png') or as the raw body (curl --data-binary @digit.png -H 'Content-Type: image/png').");
        }
        if (request.ContentLength > maxBytes)
        {
            throw TooLarge("The image", request.ContentLength.Value, maxBytes);
        }
        return await ReadCappedAsync(request.Body, maxBytes, "The image", ct);
    }

    /// <summary>Every file of a multipart body, in order (POST /predict/batch).</summary>
    public static async Task<IReadOnlyList<UploadedImage>> ReadAllAsync(HttpRequest request, MnistServerOptions limits, CancellationToken ct)
    {
        (long maxBytes, int maxFiles) = (limits.MaxUploadBytes, limits.MaxBatchFiles);
        if (!IsMultipart(request))
        {
            throw new BadHttpRequestException(
                "A batch is a multipart/form-data body with one file per image, e.g. curl -F 'file=@a.png' -F 'file=@b.png'.",
                StatusCodes.Status415UnsupportedMediaType);
        }
        IFormCollection form = await ReadFormAsync(request, limits.MaxRequestBytes, ct);
        if (form.Files.Count == 0)
        {
            throw new BadHttpRequestException("The batch has no files. Send one multipart file per image, e.g. curl -F 'file=@a.png' -F 'file=@b.png'.");
        }
        if (form.Files.Count > maxFiles)
        {
            throw new BadHttpRequestException($"The batch has {form.Files.Count} files; at most {maxFiles} are accepted per request. Split it.");
        }
        var images = new UploadedImage[form.Files.Count];
        for (int i = 0; i < images.Length; i++)
        {
            IFormFile file = form.Files[i];
            images[i] = new UploadedImage(file.FileName, await ReadFileAsync(file, i, maxBytes, ct));
        }
        return images;
    }

    /// <summary>
    /// Reads the form, refusing a body over the request limit up front. Kestrel enforces the same limit
    /// on bodies of unknown length; FormOptions only limits each part.
    /// </summary>
    private static Task<IFormCollection> ReadFormAsync(HttpRequest request, long maxRequestBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxRequestBytes)
        {
            throw new RequestTooLargeException(
                $"The request is {request.ContentLength.Value:N0} bytes, over the limit of {maxRequestBytes:N0} bytes for one request. Send fewer or smaller images.");
        }
        return request.ReadFormAsync(ct);
    }

    /// <summary>
    /// Only multipart/form-data is read as a form: anything else is the raw image, including
    /// application/x-www-form-urlencoded, which is what `curl --data-binary @digit.png` sends by default.
    /// </summary>
    private static bool IsMultipart(HttpRequest request) =>
        request.ContentType?.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Decodes and preprocesses one image of a batch; an error names the file.</summary>
    public static PreprocessedDigit Preprocess(UploadedImage image, ImageDecodeOptions limits)
    {
        try
        {
            return MnistPreprocessor.Preprocess(image.Bytes, limits);
        }
        catch (ImageFormatException e)
        {
            throw new ImageFormatException($"File '{image.FileName}': {e.Message}", e);
        }
        catch (UnsupportedImageException e)
        {
            throw new UnsupportedImageException($"File '{image.FileName}': {e.Message}");
        }
    }

    private static async Task<byte[]> ReadFileAsync(IFormFile file, int index, long maxBytes, CancellationToken ct)
    {
        string what = $"File {index} ('{file.FileName}')";
        if (file.Length > maxBytes)
        {
            throw TooLarge(what, file.Length, maxBytes);
        }
        if (file.Length == 0)
        {
            throw new BadHttpRequestException($"{what} is empty (0 bytes).");
        }
        await using Stream stream = file.OpenReadStream();
        return await ReadCappedAsync(stream, maxBytes, what, ct);
    }

    private static async Task<byte[]> ReadCappedAsync(Stream body, long maxBytes, string what, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw TooLarge(what, null, maxBytes);
            }
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0)
        {
            throw new BadHttpRequestException($"{what} is empty (0 bytes).");
        }
        return buffer.ToArray();
    }

    private static RequestTooLargeException TooLarge(string what, long? size, long maxBytes) => new(
        $"{what} is {(size is { } s ? $"{s:N0} bytes" : "larger than the limit")}, over the limit of {maxBytes:N0} bytes. Send a smaller image (a digit needs only a few kilobytes).");
}

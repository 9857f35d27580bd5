// Turns every exception that reaches the pipeline into RFC 7807 problem details: known input errors get
// their 4xx status and a detail that says what to do; anything else is a 500 without a stack trace.
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Mnist.ML.Imaging;
using Mnist.ML.Net;
using Mnist.ML.Onnx;

namespace Mnist.ML.Server.Infrastructure;

public sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody reads this response, and it is not a server error.
            context.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
            return true;
        }
        (int status, string title, string detail) = Map(exception);
        if (status >= 500)
        {
            logger.LogError(exception, "Unhandled error on {Path}", context.Request.Path.Value);
        }
        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    /// <summary>The status, title and detail for an exception; the single table of error mappings.</summary>
    internal static (int Status, string Title, string Detail) Map(Exception exception) => exception switch
    {
        RequestTooLargeException e => (StatusCodes.Status413PayloadTooLarge, "Request too large", e.Message),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            (StatusCodes.Status413PayloadTooLarge, "Request too large", "The request body is over the server's limit. Send a smaller image."),
        BadHttpRequestException { InnerException: System.Text.Json.JsonException json } e =>
            (StatusCodes.Status400BadRequest, "Bad JSON", $"{e.Message} {json.Message} Send {{\"url\": \"https://...\"}}."),
        BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } e =>
            (StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", e.Message),
        BadHttpRequestException e => (StatusCodes.Status400BadRequest, "Bad request", e.Message),
        InvalidDataException e when e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase) =>
            (StatusCodes.Status413PayloadTooLarge, "Request too large", $"{e.Message.TrimEnd('.')}. Send a smaller image."),
        InvalidDataException e => (StatusCodes.Status400BadRequest, "Bad multipart body", $"The form data could not be read: {e.Message}"),
        NoInkException e => (StatusCodes.Status422UnprocessableEntity, "No digit in the image", e.Message),
        ImageFormatException e => (StatusCodes.Status415UnsupportedMediaType, "Corrupt image", e.Message),
        UnsupportedImageException e => (StatusCodes.Status415UnsupportedMediaType, "Unsupported image", e.Message),
        UrlFetchException e => MapFetch(e),
        ModelNotReadyException e => (StatusCodes.Status503ServiceUnavailable, "Model not loaded", e.Message),
        OnnxModelException e => (StatusCodes.Status503ServiceUnavailable, "Model error", e.Message),
        _ => (StatusCodes.Status500InternalServerError, "Internal server error",
            "An unexpected error occurred. It has been logged; report the traceId if it persists."),
    };

    private static (int, string, string) MapFetch(UrlFetchException e) => e.Error switch
    {
        UrlFetchError.InvalidUrl => (StatusCodes.Status400BadRequest, "Bad URL", e.Message),
        UrlFetchError.ForbiddenAddress => (StatusCodes.Status400BadRequest, "URL refused", e.Message),
        UrlFetchError.UnknownHost => (StatusCodes.Status400BadRequest, "Unknown host", e.Message),
        UrlFetchError.TooLarge => (StatusCodes.Status413PayloadTooLarge, "Image too large", e.Message),
        UrlFetchError.NotAnImage => (StatusCodes.Status415UnsupportedMediaType, "Not an image", e.Message),
        UrlFetchError.Timeout => (StatusCodes.Status504GatewayTimeout, "Upstream timeout", e.Message),
        _ => (StatusCodes.Status502BadGateway, "Upstream error", e.Message),
    };
}

/// <summary>An upload or body is over a configured limit (413).</summary>
public sealed class RequestTooLargeException(string message) : Exception(message);

/// <summary>The model is still loading or failed to load (503).</summary>
public sealed class ModelNotReadyException(string message) : Exception(message);

// POST /predict (and its alias /uploads), /predict/url and /predict/batch: image in, digit out.
// Errors are thrown as the library's exceptions and become problem details in ProblemExceptionHandler.
using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Mnist.ML.Imaging;
using Mnist.ML.Net;
using Mnist.ML.Server.Contracts;
using Mnist.ML.Server.Infrastructure;

namespace Mnist.ML.Server.Endpoints;

public static class PredictionEndpoints
{
    /// <summary>The rate-limiting policy (fixed window per client IP) applied to every prediction endpoint.</summary>
    public const string RateLimitPolicy = "per-client-ip";

    public static IEndpointRouteBuilder MapPredictions(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder predict = app.MapGroup("/predict").WithTags("Predictions").RequireRateLimiting(RateLimitPolicy);
        Configure(predict.MapPost("", PredictAsync).WithName("Predict")
            .WithSummary("Recognise the digit in an uploaded image (multipart field 'file', or the raw image as the body).")
            .WithUploadBody(batch: false));
        Configure(predict.MapPost("/url", PredictUrlAsync).WithName("PredictUrl")
            .WithSummary("Fetch an image from a public http(s) URL and recognise the digit in it.")
            .ProducesProblem(StatusCodes.Status502BadGateway).ProducesProblem(StatusCodes.Status504GatewayTimeout));
        Configure(predict.MapPost("/batch", PredictBatchAsync).WithName("PredictBatch")
            .WithSummary("Recognise the digits in several uploaded images (every multipart file, results in order).")
            .WithUploadBody(batch: true));

        Configure(app.MapPost("/uploads", PredictAsync).WithName("Uploads").WithTags("Predictions").RequireRateLimiting(RateLimitPolicy)
            .WithSummary("Alias of POST /predict.")
            .WithUploadBody(batch: false));
        return app;
    }

    /// <summary>
    /// The request body in the OpenAPI document. The handlers read the request themselves (a multipart
    /// field or the raw body, within size limits), so nothing is inferred from their parameters: without
    /// this, clients generated from the document would not know where the image goes.
    /// </summary>
    private static RouteHandlerBuilder WithUploadBody(this RouteHandlerBuilder endpoint, bool batch) =>
        endpoint.AddOpenApiOperationTransformer((operation, context, ct) =>
        {
            var image = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
            var form = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Properties = new Dictionary<string, IOpenApiSchema>
                {
                    [UploadReader.FileField] = batch ? new OpenApiSchema { Type = JsonSchemaType.Array, Items = image } : image,
                },
                Required = new HashSet<string> { UploadReader.FileField },
            };
            var content = new Dictionary<string, OpenApiMediaType> { ["multipart/form-data"] = new() { Schema = form } };
            if (!batch)
            {
                // The raw image as the whole body works too (curl --data-binary @digit.png).
                foreach (string type in new[] { "image/png", "image/jpeg", "image/bmp", "image/gif", "application/octet-stream" })
                    content[type] = new OpenApiMediaType { Schema = image };
            }
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = batch ? "One multipart file per image, in the order the results come back." : "A PNG, JPEG, BMP or GIF of one digit.",
                Content = content,
            };
            return Task.CompletedTask;
        });

    private static void Configure(RouteHandlerBuilder endpoint) => endpoint
        .DisableAntiforgery() // an API for curl and scripts; no cookies are used
        .ProducesProblem(StatusCodes.Status400BadRequest)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status429TooManyRequests)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static async Task<Ok<PredictionResponse>> PredictAsync(
        HttpRequest request, ModelHost model, IOptions<MnistServerOptions> options, bool debug = false, CancellationToken ct = default)
    {
        long start = Stopwatch.GetTimestamp();
        MnistPredictor predictor = model.GetPredictor();
        byte[] image = await UploadReader.ReadSingleAsync(request, options.Value, ct);
        return TypedResults.Ok(Respond(request.HttpContext, predictor, predictor.Predict(image), start, debug));
    }

    private static async Task<Ok<PredictionResponse>> PredictUrlAsync(
        PredictUrlRequest body, HttpContext context, ModelHost model, SafeImageFetcher fetcher, bool debug = false, CancellationToken ct = default)
    {
        long start = Stopwatch.GetTimestamp();
        MnistPredictor predictor = model.GetPredictor();
        Uri url = SafeImageFetcher.ParseUrl(body.Url);
        FetchedImage image = await fetcher.FetchAsync(url, ct);
        return TypedResults.Ok(Respond(context, predictor, predictor.Predict(image.Bytes), start, debug));
    }

    private static async Task<Ok<BatchPredictionResponse>> PredictBatchAsync(
        HttpRequest request, ModelHost model, IOptions<MnistServerOptions> options, ServerMetrics metrics, bool debug = false, CancellationToken ct = default)
    {
        long start = Stopwatch.GetTimestamp();
        MnistPredictor predictor = model.GetPredictor();
        IReadOnlyList<UploadedImage> images = await UploadReader.ReadAllAsync(request, options.Value, ct);
        var digits = new List<PreprocessedDigit>(images.Count);
        foreach (UploadedImage image in images)
        {
            digits.Add(UploadReader.Preprocess(image, predictor.Options.ImageLimits));
        }
        IReadOnlyList<Prediction> predictions = predictor.PredictBatch(digits);
        var results = new BatchItemResponse[predictions.Count];
        for (int i = 0; i < results.Length; i++)
        {
            Prediction p = predictions[i];
            metrics.RecordPrediction(p.Digit);
            results[i] = new BatchItemResponse(i, images[i].FileName, p.Digit, p.Confidence, [.. p.Probabilities], debug ? ToDataUrl(p) : null);
        }
        RequestTelemetryMiddleware.SetDigits(request.HttpContext, string.Concat(predictions.Select(p => p.Digit)));
        return TypedResults.Ok(new BatchPredictionResponse(results, Stopwatch.GetElapsedTime(start).TotalMilliseconds, ModelNames.Of(predictor.Model)));
    }

    private static PredictionResponse Respond(HttpContext context, MnistPredictor predictor, Prediction p, long start, bool debug)
    {
        context.RequestServices.GetRequiredService<ServerMetrics>().RecordPrediction(p.Digit);
        RequestTelemetryMiddleware.SetDigits(context, p.Digit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new PredictionResponse(p.Digit, p.Confidence, [.. p.Probabilities], Stopwatch.GetElapsedTime(start).TotalMilliseconds,
            ModelNames.Of(predictor.Model), debug ? ToDataUrl(p) : null);
    }

    private static string ToDataUrl(Prediction p) => "data:image/png;base64," + Convert.ToBase64String(p.ModelInput.ToPng());
}

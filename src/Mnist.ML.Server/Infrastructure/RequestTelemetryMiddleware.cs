// One log line and one metrics sample per request: method, route, status, elapsed and the predicted digit(s).
// Never logs bodies, so no image bytes reach the logs.
using System.Diagnostics;

namespace Mnist.ML.Server.Infrastructure;

public sealed class RequestTelemetryMiddleware(RequestDelegate next, ServerMetrics metrics, ILogger<RequestTelemetryMiddleware> logger)
{
    private const string DigitsKey = "Mnist.Digits";

    /// <summary>Endpoints call this so the request's log line names what was predicted.</summary>
    public static void SetDigits(HttpContext context, string digits) => context.Items[DigitsKey] = digits;

    public async Task InvokeAsync(HttpContext context)
    {
        long start = Stopwatch.GetTimestamp();
        // Routing runs before this middleware; read the route now, as the exception handler clears the endpoint.
        string? matched = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { } raw
            ? raw.Length > 1 ? raw.TrimEnd('/') : raw // a group's "" route reads "/predict/"; report "/predict"
            : null;
        try
        {
            await next(context);
        }
        finally
        {
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            string route = matched ?? (context.Response.StatusCode == 404 ? "unmatched" : "static");
            int status = context.Response.StatusCode;
            metrics.RecordRequest(context.Request.Method, route, status, elapsed);
            string? digits = context.Items.TryGetValue(DigitsKey, out object? d) ? d as string : null;
            logger.LogInformation("{Method} {Route} responded {StatusCode} in {ElapsedMs:0.0} ms digit {Digit}",
                context.Request.Method, route, status, elapsed.TotalMilliseconds, digits ?? "-");
        }
    }
}

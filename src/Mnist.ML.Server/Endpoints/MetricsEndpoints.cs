// GET /metrics: Prometheus text format (requests and errors by route and status, latency histogram, predictions by digit).
using Mnist.ML.Server.Infrastructure;

namespace Mnist.ML.Server.Endpoints;

public static class MetricsEndpoints
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", (ServerMetrics metrics, ModelHost model) => TypedResults.Text(metrics.Render(model.Predictor is not null), ContentType))
            .WithName("Metrics").WithTags("Metrics").WithSummary("Prometheus metrics in text format 0.0.4.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        return app;
    }
}

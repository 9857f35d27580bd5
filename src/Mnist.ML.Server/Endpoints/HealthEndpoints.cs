// GET /health/live (the process answers) and GET /health/ready (the model is loaded and predictions are served).
using Microsoft.AspNetCore.Http.HttpResults;
using Mnist.ML.Server.Contracts;
using Mnist.ML.Server.Infrastructure;

namespace Mnist.ML.Server.Endpoints;

public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        RouteGroupBuilder health = app.MapGroup("/health").WithTags("Health");
        health.MapGet("/live", () => TypedResults.Ok(new HealthResponse("live", null)))
            .WithName("Live").WithSummary("200 while the process is up.");
        health.MapGet("/ready", Results<Ok<HealthResponse>, ProblemHttpResult> (ModelHost model) =>
                model.Predictor is { } predictor
                    ? TypedResults.Ok(new HealthResponse("ready", ModelNames.Of(predictor.Model)))
                    : TypedResults.Problem(model.NotReadyReason, statusCode: StatusCodes.Status503ServiceUnavailable, title: "Not ready"))
            .WithName("Ready").WithSummary("200 when the model is loaded; 503 problem while loading or after a failed load.");
        return app;
    }
}

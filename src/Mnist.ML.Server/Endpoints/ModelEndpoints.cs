// GET /model: the model card of the loaded model.
using Microsoft.AspNetCore.Http.HttpResults;
using Mnist.ML.Server.Contracts;
using Mnist.ML.Server.Infrastructure;

namespace Mnist.ML.Server.Endpoints;

public static class ModelEndpoints
{
    public static IEndpointRouteBuilder MapModel(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/model").WithTags("Model")
            .MapGet("", (ModelHost model) => TypedResults.Ok(ModelCardResponse.From(model.GetPredictor().Model)))
            .WithName("GetModel")
            .WithSummary("The model card: architecture, accuracy, training data hash, ONNX facts.")
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }
}

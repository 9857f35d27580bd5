// Request and response bodies of the endpoints, kept apart from the library's domain types.
using System.Text.Json.Serialization;

namespace Mnist.ML.Server.Contracts;

/// <summary>Body of POST /predict/url.</summary>
/// <param name="Url">An absolute http:// or https:// URL of a PNG, JPEG, BMP or GIF image.</param>
public sealed record PredictUrlRequest(string? Url);

/// <summary>One recognised digit.</summary>
/// <param name="Digit">The most probable digit, 0-9.</param>
/// <param name="Confidence">Its probability, 0-1.</param>
/// <param name="Probabilities">The probability of each digit 0-9 (they sum to 1).</param>
/// <param name="ElapsedMs">Server time spent on this request, in milliseconds.</param>
/// <param name="Model">The model that answered.</param>
/// <param name="ModelInput">With ?debug=true: the 28x28 image the model saw, as a PNG data URL.</param>
public sealed record PredictionResponse(
    int Digit,
    float Confidence,
    float[] Probabilities,
    double ElapsedMs,
    string Model,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ModelInput);

/// <summary>One image of a batch, in the order it was sent.</summary>
public sealed record BatchItemResponse(
    int Index,
    string? FileName,
    int Digit,
    float Confidence,
    float[] Probabilities,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ModelInput);

/// <summary>Response of POST /predict/batch.</summary>
public sealed record BatchPredictionResponse(IReadOnlyList<BatchItemResponse> Results, double ElapsedMs, string Model);

/// <summary>Response of GET /model: the model card.</summary>
public sealed record ModelCardResponse(
    string Name,
    string Source,
    string? Architecture,
    string? Description,
    double? TestAccuracy,
    string? PreprocessingVersion,
    DateTimeOffset? TrainedAt,
    string? TrainingDataSha256,
    double? TrainingSeconds,
    int? Epochs,
    string? TrainingOptions,
    string ProducerName,
    string ProducerVersion,
    int OpsetVersion,
    string InputName,
    string OutputName,
    IReadOnlyDictionary<string, string> Metadata)
{
    public static ModelCardResponse From(ModelInfo m) => new(
        ModelNames.Of(m), m.Source, m.Architecture, m.Description, m.TestAccuracy, m.PreprocessingVersion, m.TrainedAt,
        m.TrainingDataSha256, m.TrainingTime?.TotalSeconds, m.Epochs, m.TrainingOptions, m.ProducerName, m.ProducerVersion, m.OpsetVersion,
        m.InputName, m.OutputName, m.Metadata);
}

/// <summary>Response of the health endpoints.</summary>
public sealed record HealthResponse(string Status, string? Model);

internal static class ModelNames
{
    /// <summary>A short name for responses: the model card's name, else the architecture, else the model file's name.</summary>
    public static string Of(ModelInfo m) => m.Name ?? m.Architecture ?? Path.GetFileNameWithoutExtension(m.Source);
}

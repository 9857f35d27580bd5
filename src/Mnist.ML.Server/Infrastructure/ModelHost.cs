// Loads the model once, off the startup path, so /health/live answers at once and /health/ready turns
// green when predictions can be served; a load failure is kept and reported (503), not thrown at every request.
using Mnist.ML;

namespace Mnist.ML.Server.Infrastructure;

public sealed class ModelHost(IServiceProvider services, ILogger<ModelHost> logger) : BackgroundService
{
    private volatile MnistPredictor? _predictor;
    private volatile string? _error;

    /// <summary>The loaded predictor, or null while loading or after a failed load.</summary>
    public MnistPredictor? Predictor => _predictor;

    /// <summary>Why the model is not available: still loading, or the load error.</summary>
    public string NotReadyReason => _error ?? "The model is still loading; try again in a moment.";

    /// <summary>The predictor, or a 503 problem when it is not loaded.</summary>
    /// <exception cref="ModelNotReadyException">Still loading, or the load failed.</exception>
    public MnistPredictor GetPredictor() => _predictor ?? throw new ModelNotReadyException(NotReadyReason);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
    {
        try
        {
            var predictor = services.GetRequiredService<MnistPredictor>();
            _predictor = predictor;
            logger.LogInformation("Model loaded from {Source}: {Model}", predictor.Model.Source, predictor.Model.ToString());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _error = $"The model could not be loaded: {e.Message}";
            logger.LogError("Model load failed: {Error}", e.Message);
        }
    }, stoppingToken);
}

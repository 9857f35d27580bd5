// Registers MnistPredictor in Microsoft.Extensions.DependencyInjection as a lazily loaded singleton.
using Mnist.ML;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds <see cref="MnistPredictor"/> to an <see cref="IServiceCollection"/>.</summary>
public static class MnistPredictorServiceCollectionExtensions
{
    /// <summary>
    /// Registers the predictor with the model embedded in the package as a singleton (thread-safe, so one
    /// instance serves every request). The model loads on first resolution. If a predictor is already
    /// registered, this call changes nothing.
    /// </summary>
    public static IServiceCollection AddMnistPredictor(this IServiceCollection services, MnistPredictorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddMnistPredictor(_ => MnistPredictor.Load(options));
    }

    /// <summary>Registers a predictor for the .onnx model at <paramref name="modelPath"/> as a singleton; see <see cref="AddMnistPredictor(IServiceCollection, MnistPredictorOptions?)"/>.</summary>
    public static IServiceCollection AddMnistPredictor(this IServiceCollection services, string modelPath, MnistPredictorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        return services.AddMnistPredictor(_ => MnistPredictor.Load(modelPath, options));
    }

    /// <summary>
    /// Registers the predictor that <paramref name="factory"/> loads as a singleton, for settings that come
    /// from other services (for example options bound from configuration); see <see cref="AddMnistPredictor(IServiceCollection, MnistPredictorOptions?)"/>.
    /// </summary>
    public static IServiceCollection AddMnistPredictor(this IServiceCollection services, Func<IServiceProvider, MnistPredictor> factory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(factory);
        services.TryAddSingleton(factory);
        return services;
    }
}

// Settings of a predictor, with documented defaults; checked when set so a bad value fails at once.
using Mnist.ML.Imaging;

namespace Mnist.ML;

/// <summary>
/// Options for <see cref="MnistPredictor"/>. Every property has a sensible default, so
/// <c>new MnistPredictorOptions()</c> (or <see cref="Default"/>) is a working configuration.
/// Out-of-range values are rejected with <see cref="ArgumentOutOfRangeException"/> when set.
/// Immutable and safe to share between threads.
/// </summary>
public sealed record MnistPredictorOptions
{
    private readonly ImageDecodeOptions _imageLimits = ImageDecodeOptions.Default;
    private readonly float _minimumConfidence;
    private readonly int _maxBatchSize = 256;

    /// <summary>The defaults: default image limits, MinimumConfidence 0 (off), MaxBatchSize 256.</summary>
    public static MnistPredictorOptions Default { get; } = new();

    /// <summary>
    /// Limits on the images the predictor decodes (encoded bytes and decoded pixels); over a limit,
    /// prediction throws <see cref="UnsupportedImageException"/>. Default <see cref="ImageDecodeOptions.Default"/>
    /// (50 MiB, 40 megapixels). Both limits must be positive.
    /// </summary>
    public ImageDecodeOptions ImageLimits
    {
        get => _imageLimits;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            ArgumentOutOfRangeException.ThrowIfLessThan(value.MaxBytes, 1, "ImageLimits.MaxBytes");
            ArgumentOutOfRangeException.ThrowIfLessThan(value.MaxPixels, 1, "ImageLimits.MaxPixels");
            _imageLimits = value;
        }
    }

    /// <summary>
    /// Confidence (0..1) below which <see cref="Prediction.IsConfident"/> is false. The digit is still
    /// reported; nothing is thrown. 0 (the default) turns the check off. A common choice is 0.8.
    /// </summary>
    public float MinimumConfidence
    {
        get => _minimumConfidence;
        init
        {
            if (!(value >= 0f && value <= 1f))
            {
                throw new ArgumentOutOfRangeException(nameof(MinimumConfidence), value, "MinimumConfidence must be between 0 and 1 (0 turns the check off).");
            }
            _minimumConfidence = value;
        }
    }

    /// <summary>
    /// The most images run through the model in one inference (1 to 65,536; default 256). Larger
    /// batches are split into chunks of this size, which bounds the memory one call uses.
    /// </summary>
    public int MaxBatchSize
    {
        get => _maxBatchSize;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(MaxBatchSize));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 65_536, nameof(MaxBatchSize));
            _maxBatchSize = value;
        }
    }
}

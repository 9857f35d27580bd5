// What a trained model says about itself, stored as ONNX metadata_props: architecture, data hash,
// accuracy, preprocessing version, training options, date. The predictor reads it back.
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Mnist.ML.Onnx;
using Mnist.ML.Trainer.Data;

namespace Mnist.ML.Trainer.Export;

/// <summary>
/// The model card written into an exported ONNX file's metadata_props (keys in <see cref="Keys"/>).
/// Every property is optional except what the exporter fills from the network itself. Immutable.
/// </summary>
public sealed record ModelCard
{
    /// <summary>The preprocessing contract of Mnist.ML models: 1x28x28 float32, 0..1, ink bright on dark, digit centred by mass in a 20x20 box.</summary>
    public const string MnistPreprocessing = ModelMetadataKeys.MnistPreprocessing;

    /// <summary>Training data SHA-256 (lower-case hex), e.g. from <see cref="HashOf(DigitDataset)"/>.</summary>
    public string? TrainingDataSha256 { get; init; }

    /// <summary>Accuracy on the held-out test set, 0..1.</summary>
    public double? TestAccuracy { get; init; }

    /// <summary>Version of the preprocessing the model expects; default <see cref="MnistPreprocessing"/>.</summary>
    public string Preprocessing { get; init; } = MnistPreprocessing;

    /// <summary>Training options as text (e.g. the MnistTrainerOptions record's ToString()).</summary>
    public string? TrainingOptions { get; init; }

    /// <summary>When training finished.</summary>
    public DateTimeOffset? TrainedAt { get; init; }

    /// <summary>The metadata_props keys, so readers need not repeat the strings.</summary>
    public static class Keys
    {
        /// <summary>The network spec, e.g. "conv6k5p2-relu-pool2-...".</summary>
        public const string Architecture = ModelMetadataKeys.Architecture;
        /// <summary>SHA-256 of the training data.</summary>
        public const string TrainingDataSha256 = ModelMetadataKeys.TrainingDataSha256;
        /// <summary>Test accuracy, invariant culture, 0..1.</summary>
        public const string TestAccuracy = ModelMetadataKeys.TestAccuracy;
        /// <summary>Preprocessing version.</summary>
        public const string Preprocessing = ModelMetadataKeys.Preprocessing;
        /// <summary>Training options.</summary>
        public const string TrainingOptions = ModelMetadataKeys.TrainingOptions;
        /// <summary>ISO 8601 time training finished.</summary>
        public const string TrainedAt = ModelMetadataKeys.TrainedAt;
        /// <summary>
        /// The temperature T the exporter folded into the last layer (<see cref="OnnxExportOptions.Temperature"/>):
        /// the "logits" output is the network's logits / T. Absent when T is 1.
        /// </summary>
        public const string LogitsTemperature = "logits_temperature";
    }

    /// <summary>SHA-256 over a data set's pixels (float32 little-endian) then its labels.</summary>
    public static string HashOf(DigitDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(MemoryMarshal.AsBytes(data.Images));
        sha.AppendData(data.Labels);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    internal IEnumerable<KeyValuePair<string, string>> ToMetadata(string architecture)
    {
        yield return new(Keys.Architecture, architecture);
        yield return new(Keys.Preprocessing, Preprocessing);
        if (TrainingDataSha256 is not null) yield return new(Keys.TrainingDataSha256, TrainingDataSha256);
        if (TestAccuracy is double a) yield return new(Keys.TestAccuracy, a.ToString("R", CultureInfo.InvariantCulture));
        if (TrainingOptions is not null) yield return new(Keys.TrainingOptions, TrainingOptions);
        if (TrainedAt is DateTimeOffset t) yield return new(Keys.TrainedAt, t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
    }
}

// The model card of a loaded model, read from the ONNX file's metadata_props.
using System.Globalization;
using Mnist.ML.Onnx;

namespace Mnist.ML;

/// <summary>
/// What is known about the model a <see cref="MnistPredictor"/> runs: its model card (from the ONNX
/// file's metadata_props, as Mnist.ML's exporter writes them) and the file's producer and opset.
/// Card fields are null when the file does not carry them (for example a model exported by PyTorch).
/// Immutable and safe to share between threads.
/// </summary>
/// <remarks>
/// Metadata keys read: <c>name</c>, <c>architecture</c>, <c>description</c>, <c>test_accuracy</c> (0..1,
/// invariant culture), <c>preprocessing</c>, <c>trained_at</c> (ISO 8601), <c>training_data_sha256</c>,
/// <c>training_options</c>, <c>training_seconds</c>, <c>epochs</c> — the keys of Mnist.ML.Trainer's
/// exporter (ModelCard.Keys) plus those the shipped model adds. Every key is in <see cref="Metadata"/>.
/// </remarks>
public sealed class ModelInfo
{
    // The exporter's keys live in ModelMetadataKeys; these are the ones scripts/release_model_card.py adds.
    internal const string NameKey = "name";
    internal const string DescriptionKey = "description";
    internal const string TrainingSecondsKey = "training_seconds";
    internal const string EpochsKey = "epochs";

    internal ModelInfo(OnnxModel model, string source, string inputName, string outputName)
    {
        IReadOnlyDictionary<string, string> m = model.Metadata;
        Source = source;
        Metadata = m;
        ProducerName = model.ProducerName;
        ProducerVersion = model.Proto.ProducerVersion;
        OpsetVersion = model.OpsetVersion;
        InputName = inputName;
        OutputName = outputName;
        Name = Text(m, NameKey);
        Architecture = Text(m, ModelMetadataKeys.Architecture);
        TrainingOptions = Text(m, ModelMetadataKeys.TrainingOptions);
        Description = Text(m, DescriptionKey);
        PreprocessingVersion = Text(m, ModelMetadataKeys.Preprocessing);
        TrainingDataSha256 = Text(m, ModelMetadataKeys.TrainingDataSha256);
        TestAccuracy = double.TryParse(Text(m, ModelMetadataKeys.TestAccuracy), NumberStyles.Float, CultureInfo.InvariantCulture, out double acc) ? acc : null;
        TrainedAt = DateTimeOffset.TryParse(Text(m, ModelMetadataKeys.TrainedAt), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
        TrainingTime = double.TryParse(Text(m, TrainingSecondsKey), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0 && s < TimeSpan.MaxValue.TotalSeconds
            ? TimeSpan.FromSeconds(s) : null;
        Epochs = int.TryParse(Text(m, EpochsKey), NumberStyles.Integer, CultureInfo.InvariantCulture, out int e) ? e : null;
    }

    /// <summary>Where the model came from: "embedded" for the package's model, else the file path or "stream".</summary>
    public string Source { get; }

    /// <summary>The model's short name, e.g. "cnn3" or "lenet5".</summary>
    public string? Name { get; }

    /// <summary>The network, as Mnist.ML.Trainer's one-line spec (e.g. "conv32k3p1-relu-pool2-...-fc10").</summary>
    public string? Architecture { get; }

    /// <summary>A free-text description of the model.</summary>
    public string? Description { get; }

    /// <summary>Accuracy on the 10,000 MNIST test images, 0..1, measured when the model was exported.</summary>
    public double? TestAccuracy { get; }

    /// <summary>
    /// The preprocessing the model expects its input to come from, e.g. the
    /// <see cref="Imaging.MnistPreprocessor.PreprocessingVersion"/> of the library that made the model card.
    /// Informational: the predictor always preprocesses with this library's <see cref="Imaging.MnistPreprocessor"/>.
    /// </summary>
    public string? PreprocessingVersion { get; }

    /// <summary>When training finished.</summary>
    public DateTimeOffset? TrainedAt { get; }

    /// <summary>SHA-256 (hex) of the training data, identifying exactly what the model learned from.</summary>
    public string? TrainingDataSha256 { get; }

    /// <summary>How long training took.</summary>
    public TimeSpan? TrainingTime { get; }

    /// <summary>The training settings, as text.</summary>
    public string? TrainingOptions { get; }

    /// <summary>How many epochs the model was trained for.</summary>
    public int? Epochs { get; }

    /// <summary>The tool that wrote the ONNX file (producer_name), e.g. "Mnist.ML" or "pytorch".</summary>
    public string ProducerName { get; }

    /// <summary>The producer's version (producer_version), empty when not recorded.</summary>
    public string ProducerVersion { get; }

    /// <summary>The ai.onnx opset the file targets.</summary>
    public int OpsetVersion { get; }

    /// <summary>The name of the model input the predictor feeds ([N,1,28,28] float).</summary>
    public string InputName { get; }

    /// <summary>The name of the model output the predictor reads ([N,10] float, logits preferred).</summary>
    public string OutputName { get; }

    /// <summary>Every metadata_props entry of the file, the keys above included.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>E.g. "cnn3 (test accuracy 99.21 %, Mnist.ML, opset 13)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name ?? "model"} ({(TestAccuracy is { } a ? $"test accuracy {a:P2}, " : "")}{(ProducerName.Length > 0 ? ProducerName + ", " : "")}opset {OpsetVersion})");

    private static string? Text(IReadOnlyDictionary<string, string> m, string key) =>
        m.TryGetValue(key, out string? v) && !string.IsNullOrWhiteSpace(v) ? v : null;
}

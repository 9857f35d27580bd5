// The metadata_props keys of a Mnist.ML model card, shared by the trainer's exporter (which writes
// them) and the predictor (which reads them from OnnxModel.Metadata).
namespace Mnist.ML.Onnx;

internal static class ModelMetadataKeys
{
    /// <summary>The network spec, e.g. "conv6k5p2-relu-pool2-...".</summary>
    public const string Architecture = "architecture";

    /// <summary>SHA-256 (lower-case hex) of the training data.</summary>
    public const string TrainingDataSha256 = "training_data_sha256";

    /// <summary>Test accuracy, 0..1, invariant culture.</summary>
    public const string TestAccuracy = "test_accuracy";

    /// <summary>Preprocessing contract version, e.g. "mnist-preprocess/1".</summary>
    public const string Preprocessing = "preprocessing";

    /// <summary>Training options as text.</summary>
    public const string TrainingOptions = "training_options";

    /// <summary>ISO 8601 UTC time training finished.</summary>
    public const string TrainedAt = "trained_at";

    /// <summary>The preprocessing of Mnist.ML models: the version of <see cref="Imaging.MnistPreprocessor"/>'s pipeline
    /// (1x28x28 float32, 0..1, ink bright on dark, digit in a 20x20 box centred by mass).</summary>
    public const string MnistPreprocessing = Imaging.MnistPreprocessor.PreprocessingVersion;
}

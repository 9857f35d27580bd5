// Where a training run writes: <arch>-e<epochs>-b<batch>-<UTC timestamp>.{onnx,ckpt,metrics.csv,svg}
// in the output folder; a resumed run keeps the name of the checkpoint it continues.
using System.Globalization;
using Mnist.ML.Trainer.Layers;

namespace Mnist.ML.Cli.Reports;

internal sealed record TrainingRunFiles(string Name, string Model, string Checkpoint, string Metrics, string Curve, string Title)
{
    public static TrainingRunFiles Create(string folder, string arch, int epochs, int batchSize, string? resumeFrom)
    {
        Directory.CreateDirectory(folder);
        string name = resumeFrom is null
            ? string.Create(CultureInfo.InvariantCulture, $"{ArchitectureName(arch)}-e{epochs}-b{batchSize}-{DateTime.UtcNow:yyyyMMdd-HHmmss}")
            : Path.GetFileNameWithoutExtension(resumeFrom);
        string In(string extension) => Path.Combine(folder, name + extension);
        return new TrainingRunFiles(name, In(".onnx"), resumeFrom ?? In(".ckpt"), In(".metrics.csv"), In(".svg"), $"{name}: learning curve");
    }

    /// <summary>The architecture's name (lenet5, cnn3), or "custom" for a layer spec, which is too long and odd for a file name.</summary>
    private static string ArchitectureName(string arch)
    {
        string key = arch.Trim().ToLowerInvariant();
        return NetworkSpec.Architectures.ContainsKey(key) ? key : "custom";
    }
}

// One `mnist train` run around MnistTrainer: shows progress, keeps metrics.csv and the learning
// curve up to date after every epoch, turns Ctrl+C into a message naming the checkpoint, and
// exports the trained network with its model card (test accuracy on the 10,000 test images).
using System.Globalization;
using Mnist.ML.Cli.Output;
using Mnist.ML.Cli.Reports;
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Export;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Cli.Training;

internal sealed class TrainingSession(TrainingRunFiles files, MnistTrainerOptions options, TextWriter output)
{
    private List<EpochMetrics> _history = [];

    /// <summary>Trains on <paramref name="data"/>; on Ctrl+C throws a <see cref="CliException"/> (exit 130) saying what was kept.</summary>
    public async Task<TrainingResult> TrainAsync(DigitDataset data, CancellationToken cancellationToken)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training {options.Architecture} on {data.Count:N0} images ({options.ValidationFraction * 100:0.#}% held out for validation), {options.Epochs} epochs, batch {options.BatchSize}, {options.Optimizer} lr {options.LearningRate:G3}{(options.ResumeFrom is null ? "" : $", resuming from {options.ResumeFrom}")}"));
        // A resumed run continues its metrics file; the rows of epochs trained again are replaced.
        _history = options.ResumeFrom is null ? [] : MetricsCsv.Read(files.Metrics);
        var view = new TrainingProgressView(output, Terminal.IsInteractive(output), EpochDone);
        try
        {
            return await new MnistTrainer(options).TrainAsync(data, view, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            view.Close();
            if (_history.Count == 0)
            {
                throw new CliException(ExitCode.Cancelled, "cancelled before the first epoch finished; nothing was saved.");
            }
            throw new CliException(ExitCode.Cancelled,
                $"cancelled; the checkpoint {files.Checkpoint} holds epoch {_history[^1].Epoch} of {options.Epochs}. Continue with the same options plus --resume {files.Checkpoint}");
        }
    }

    /// <summary>
    /// Exports <paramref name="result"/>'s network to <see cref="TrainingRunFiles.Model"/> with its model card and
    /// returns its accuracy on the test set in <paramref name="dataFolder"/> (null when the folder has no test set).
    /// </summary>
    public EvaluationResult? Export(TrainingResult result, DigitDataset data, string dataFolder)
    {
        // Measured on the 10,000 test images, which training never sees.
        EvaluationResult? test = File.Exists(Path.Combine(dataFolder, MnistFiles.TestImages))
            ? MnistTrainer.Evaluate(result.Network, MnistDataset.LoadTest(dataFolder))
            : null;
        OnnxExporter.Export(result.Network, files.Model, new OnnxExportOptions
        {
            ModelCard = new ModelCard
            {
                TestAccuracy = test?.Accuracy,
                TrainingDataSha256 = ModelCard.HashOf(data),
                TrainingOptions = options.ToString(),
                TrainedAt = DateTimeOffset.UtcNow,
            },
        });
        return test;
    }

    /// <summary>The files written and the final scores, one per line.</summary>
    public void WriteSummary(TrainingResult result, EvaluationResult? test)
    {
        output.WriteLine($"model       {files.Model}");
        output.WriteLine($"checkpoint  {files.Checkpoint}");
        output.WriteLine($"metrics     {files.Metrics}");
        output.WriteLine($"curve       {files.Curve}");
        if (result.Validation is { } validation)
        {
            output.WriteLine(Scores("validation", validation));
        }
        output.WriteLine(test is null ? "test        skipped: no MNIST test set in the data folder" : Scores("test", test));
    }

    private static string Scores(string name, EvaluationResult r) =>
        string.Create(CultureInfo.InvariantCulture, $"{name,-11} accuracy {r.Accuracy * 100:F2}%, loss {r.Loss:F4} on {r.Count:N0} images");

    /// <summary>After each epoch (and its checkpoint): metrics.csv and the curve, so an interrupted run keeps them.</summary>
    private void EpochDone(EpochMetrics epoch)
    {
        _history.RemoveAll(row => row.Epoch >= epoch.Epoch);
        _history.Add(epoch);
        MetricsCsv.Write(files.Metrics, _history);
        LearningCurveSvg.Write(files.Curve, files.Title, _history);
    }
}

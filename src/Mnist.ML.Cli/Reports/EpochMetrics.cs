// One row of a training run's history: what metrics.csv, the epoch table and the learning curve show.
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Cli.Reports;

/// <summary>The metrics of one finished epoch. Validation values are null when training without validation.</summary>
internal sealed record EpochMetrics(
    int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy,
    double LearningRate, double ImagesPerSecond, double Seconds)
{
    public static EpochMetrics From(TrainingProgress epoch, TimeSpan elapsed) =>
        new(epoch.Epoch, epoch.Loss, epoch.Accuracy, epoch.ValidationLoss, epoch.ValidationAccuracy,
            epoch.LearningRate, epoch.ImagesPerSecond, elapsed.TotalSeconds);
}

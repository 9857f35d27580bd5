// What the trainer reports while it runs, and what it returns.
using Mnist.ML.Trainer.Layers;

namespace Mnist.ML.Trainer.Training;

/// <summary>Whether a <see cref="TrainingProgress"/> report ends a batch or an epoch.</summary>
public enum TrainingProgressKind
{
    /// <summary>After an optimizer step.</summary>
    Batch,

    /// <summary>After an epoch and its validation.</summary>
    Epoch,
}

/// <summary>
/// A progress report. Loss and Accuracy are running means over the epoch's training batches so far
/// (computed in training mode: with dropout and augmentation). Immutable; thread-safe.
/// </summary>
/// <param name="Kind">Batch or epoch report.</param>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Epochs planned.</param>
/// <param name="Batch">1-based batch within the epoch (the last batch for epoch reports).</param>
/// <param name="Batches">Batches per epoch.</param>
/// <param name="Loss">Mean training loss so far this epoch.</param>
/// <param name="Accuracy">Training accuracy so far this epoch, 0..1.</param>
/// <param name="ImagesPerSecond">Training throughput so far this epoch.</param>
/// <param name="LearningRate">Learning rate of the last step.</param>
/// <param name="ValidationLoss">Validation loss (epoch reports with a validation set), else null.</param>
/// <param name="ValidationAccuracy">Validation accuracy 0..1 (epoch reports with a validation set), else null.</param>
public sealed record TrainingProgress(
    TrainingProgressKind Kind, int Epoch, int Epochs, int Batch, int Batches,
    double Loss, double Accuracy, double ImagesPerSecond, double LearningRate,
    double? ValidationLoss = null, double? ValidationAccuracy = null)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"epoch {Epoch}/{Epochs} batch {Batch}/{Batches}: loss {Loss:F4} acc {Accuracy:P2} {ImagesPerSecond:F0} img/s lr {LearningRate:G3}" +
        (ValidationLoss is { } vl ? $" | val loss {vl:F4} acc {ValidationAccuracy:P2}" : "");
}

/// <summary>The outcome of <see cref="MnistTrainer.Train"/>. Immutable; the network is not thread-safe (see <see cref="Layers.Network"/>).</summary>
/// <param name="Network">The trained network (the best epoch's weights when early stopping is on).</param>
/// <param name="Epochs">The epoch report of each epoch this run trained (after a resume: only the epochs after the checkpoint).</param>
/// <param name="Validation">Evaluation of the returned network on the validation set, or null without one.</param>
/// <param name="BestEpoch">1-based epoch with the lowest validation loss (0 without validation).</param>
/// <param name="StoppedEarly">Whether early stopping ended training before the last epoch.</param>
public sealed record TrainingResult(Network Network, IReadOnlyList<TrainingProgress> Epochs, EvaluationResult? Validation, int BestEpoch, bool StoppedEarly);

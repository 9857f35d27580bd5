// The trainer's settings, one record with documented defaults.
using Mnist.ML.Trainer.Layers;
using Mnist.ML.Trainer.Optim;

namespace Mnist.ML.Trainer.Training;

/// <summary>
/// Settings for <see cref="MnistTrainer"/>. Every property has a working default, so
/// <c>new MnistTrainerOptions()</c> trains LeNet-5 with Adam. Immutable; thread-safe.
/// </summary>
public sealed record MnistTrainerOptions
{
    /// <summary>A named architecture ("lenet5", "cnn3") or a spec (see <see cref="NetworkSpec"/>). Default "lenet5".</summary>
    public string Architecture { get; init; } = "lenet5";

    /// <summary>Passes over the training set. Default 10.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Images per optimizer step; the last batch of an epoch may be smaller. Default 128.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Share of the data held out for validation (0 for none), split deterministically from <see cref="Seed"/>. Default 0.2.</summary>
    public double ValidationFraction { get; init; } = 0.2;

    /// <summary>The optimizer. Default <see cref="OptimizerKind.Adam"/> (betas 0.9, 0.999, eps 1e-8).</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>Base learning rate (the peak for one-cycle). Default 1e-3.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>SGD momentum (0 for plain SGD). Default 0.9; ignored by Adam / AdamW.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Nesterov momentum for SGD. Default false.</summary>
    public bool Nesterov { get; init; }

    /// <summary>
    /// Weight decay: L2 added to the gradient for SGD and Adam, decoupled for AdamW (as in PyTorch).
    /// Default null: 0 for SGD and Adam, 0.01 for AdamW (PyTorch's defaults).
    /// </summary>
    public double? WeightDecay { get; init; }

    /// <summary>Label smoothing of the cross-entropy loss, 0..1 (PyTorch's label_smoothing). Default 0.</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Learning-rate schedule, evaluated per step. Default <see cref="LearningRateSchedule.Constant"/>.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Constant;

    /// <summary>
    /// Stop after this many epochs without a lower validation loss, then restore the weights of the
    /// best epoch. Default null: train all epochs and keep the last weights. Needs a validation set.
    /// </summary>
    public int? EarlyStoppingPatience { get; init; }

    /// <summary>Seeds the weights, the split, the shuffling, dropout and augmentation: same seed, same run. Default 42.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>
    /// Random affine augmentation of training images: shifts of up to +-2 px, rotations up to +-10
    /// degrees, scale 0.9..1.1 (bilinear). Default false.
    /// </summary>
    public bool Augment { get; init; }

    /// <summary>How weights are initialised. Default <see cref="Layers.WeightInit.He"/>.</summary>
    public WeightInit WeightInit { get; init; } = WeightInit.He;

    /// <summary>When set, a checkpoint is written here (atomically) after every epoch. Default null.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>
    /// When set, training resumes from this checkpoint: weights, optimizer state, epoch and random
    /// state, so with the same options the run continues exactly as if never interrupted. Default null.
    /// </summary>
    public string? ResumeFrom { get; init; }

    internal void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Epochs must be at least 1.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "ValidationFraction must be in [0, 1).");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be positive.");
        if (!(LabelSmoothing >= 0 && LabelSmoothing <= 1)) throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "LabelSmoothing must be in [0, 1].");
        if (EarlyStoppingPatience is < 1) throw new ArgumentOutOfRangeException(nameof(EarlyStoppingPatience), EarlyStoppingPatience, "EarlyStoppingPatience must be at least 1 (or null for none).");
        if (EarlyStoppingPatience is not null && ValidationFraction == 0) throw new ArgumentException("Early stopping watches the validation loss: set ValidationFraction above 0 or EarlyStoppingPatience to null.", nameof(EarlyStoppingPatience));
        ArgumentNullException.ThrowIfNull(Schedule);
        ArgumentNullException.ThrowIfNull(Architecture);
    }
}

// The training loop: split, shuffle, batch (with augmentation), forward, loss, backward, optimizer
// step with the scheduled rate, per-epoch validation, early stopping, checkpoints, progress.
using System.Diagnostics;
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Layers;
using Mnist.ML.Trainer.Optim;

namespace Mnist.ML.Trainer.Training;

/// <summary>
/// Trains a CNN on labelled 28x28 digits. Deterministic: the same options and data give the same
/// weights. One instance may run one training at a time; separate instances are independent.
/// </summary>
/// <example><code>
/// var data = MnistDataset.LoadTrain("data/mnist");
/// var result = new MnistTrainer(new MnistTrainerOptions { Epochs = 3 })
///     .Train(data, new Progress&lt;TrainingProgress&gt;(Console.WriteLine));
/// Console.WriteLine(MnistTrainer.Evaluate(result.Network, MnistDataset.LoadTest("data/mnist")));
/// </code></example>
public sealed class MnistTrainer
{
    /// <summary>Digits 0..9.</summary>
    public const int Classes = 10;

    /// <summary>Creates a trainer with <paramref name="options"/> (defaults when null).</summary>
    public MnistTrainer(MnistTrainerOptions? options = null)
    {
        Options = options ?? new MnistTrainerOptions();
        Options.Validate();
    }

    /// <summary>The options this trainer uses.</summary>
    public MnistTrainerOptions Options { get; }

    /// <summary>
    /// Trains on <paramref name="data"/> (minus the validation share). Reports after every batch and
    /// every epoch. Cancelling throws <see cref="OperationCanceledException"/>; a checkpoint, when
    /// configured, then holds the last completed epoch.
    /// </summary>
    public TrainingResult Train(DigitDataset data, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        var o = Options;
        var (train, validation) = o.ValidationFraction > 0 ? DatasetSplit.Split(data, o.ValidationFraction, o.Seed) : (data, null);
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(data));
        if (validation is { Count: 0 }) validation = null;
        if (o.EarlyStoppingPatience is not null && validation is null) throw new ArgumentException("Early stopping needs validation images, and the split left none.", nameof(data));

        var network = NetworkSpec.Build(o.Architecture, o.Seed, o.WeightInit);
        if (network.OutputSize != Classes) throw new NetworkSpecException($"The network '{network.Spec}' outputs {network.OutputSize} values; a digit classifier ends in fc{Classes}.", "", -1);
        float weightDecay = (float)(o.WeightDecay ?? (o.Optimizer == OptimizerKind.AdamW ? 0.01 : 0));
        var optimizer = Optimizer.Create(o.Optimizer, network.ParameterCount, weightDecay, (float)o.Momentum, o.Nesterov);
        var rng = new Rng(unchecked((ulong)o.Seed * 0x9E3779B97F4A7C15UL + 1));

        int startEpoch = 0, bestEpoch = 0, withoutImprovement = 0;
        double bestLoss = double.PositiveInfinity;
        float[]? bestParameters = null, bestBuffers = null;
        if (o.ResumeFrom is { } resumePath)
        {
            var s = Checkpoint.Load(resumePath);
            if (s.Spec != network.Spec) throw new InvalidDataException($"Checkpoint {resumePath} is for network '{s.Spec}', but the options ask for '{network.Spec}'.");
            if (s.Optimizer != optimizer.Kind) throw new InvalidDataException($"Checkpoint {resumePath} was trained with {s.Optimizer}, but the options ask for {optimizer.Kind}.");
            s.Parameters.CopyTo(network.Parameters, 0);
            s.Buffers.CopyTo(network.Buffers, 0);
            for (int i = 0; i < s.OptimizerState.Length; i++) s.OptimizerState[i].CopyTo(optimizer.State[i], 0);
            optimizer.StepCount = s.OptimizerSteps;
            rng.State = s.RngState;
            (startEpoch, bestLoss, bestEpoch, withoutImprovement, bestParameters, bestBuffers) =
                (s.EpochsCompleted, s.BestValidationLoss, s.BestEpoch, s.EpochsWithoutImprovement, s.BestParameters, s.BestBuffers);
        }

        int batchSize = Math.Min(o.BatchSize, train.Count);
        int batches = (train.Count + batchSize - 1) / batchSize;
        long totalSteps = (long)batches * o.Epochs;
        var input = new float[batchSize * DigitDataset.ImageSize];
        var labels = new byte[batchSize];
        var probabilities = new float[batchSize * Classes];
        var dLogits = new float[batchSize * Classes];
        var history = new List<TrainingProgress>();
        bool stoppedEarly = false;

        for (int epoch = startEpoch; epoch < o.Epochs && !stoppedEarly; epoch++)
        {
            var clock = Stopwatch.StartNew();
            int[] order = rng.Permutation(train.Count);
            double lossSum = 0;
            int correct = 0, seen = 0;
            double lr = o.LearningRate;
            TrainingProgress? last = null;
            for (int b = 0; b < batches; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int start = b * batchSize, n = Math.Min(batchSize, train.Count - start);
                for (int i = 0; i < n; i++)
                {
                    int index = order[start + i];
                    var target = input.AsSpan(i * DigitDataset.ImageSize, DigitDataset.ImageSize);
                    if (o.Augment) Augmentation.Apply(train.Image(index), target, rng);
                    else train.Image(index).CopyTo(target);
                    labels[i] = train.Labels[index];
                }
                var x = input.AsSpan(0, n * DigitDataset.ImageSize);
                var y = labels.AsSpan(0, n);
                var p = probabilities.AsSpan(0, n * Classes);
                var d = dLogits.AsSpan(0, n * Classes);

                network.ZeroGradients();
                var logits = network.Forward(x, n, training: true, rng);
                float loss = SoftmaxCrossEntropy.Forward(logits, y, p, n, Classes, (float)o.LabelSmoothing);
                d.Clear();
                SoftmaxCrossEntropy.Backward(p, y, d, n, Classes, (float)o.LabelSmoothing);
                network.Backward(x, d, n);
                lr = o.Schedule.LearningRate(o.LearningRate, optimizer.StepCount, totalSteps, batches);
                optimizer.Step(network.Parameters, network.Gradients, (float)lr);

                lossSum += (double)loss * n;
                correct += CountCorrect(p, y, n);
                seen += n;
                last = new TrainingProgress(TrainingProgressKind.Batch, epoch + 1, o.Epochs, b + 1, batches,
                    lossSum / seen, (double)correct / seen, seen / clock.Elapsed.TotalSeconds, lr);
                progress?.Report(last);
            }

            EvaluationResult? eval = validation is null ? null : Evaluate(network, validation);
            if (eval is not null)
            {
                if (eval.Loss < bestLoss)
                {
                    (bestLoss, bestEpoch, withoutImprovement) = (eval.Loss, epoch + 1, 0);
                    if (o.EarlyStoppingPatience is not null)
                    {
                        bestParameters = (float[])network.Parameters.Clone();
                        bestBuffers = (float[])network.Buffers.Clone();
                    }
                }
                else
                {
                    withoutImprovement++;
                }
                stoppedEarly = withoutImprovement >= o.EarlyStoppingPatience && epoch + 1 < o.Epochs;
            }
            var summary = last! with { Kind = TrainingProgressKind.Epoch, ValidationLoss = eval?.Loss, ValidationAccuracy = eval?.Accuracy };
            history.Add(summary);

            if (o.CheckpointPath is { } checkpointPath)
            {
                Checkpoint.Save(checkpointPath, new CheckpointState
                {
                    Spec = network.Spec, EpochsCompleted = epoch + 1, Optimizer = optimizer.Kind, OptimizerSteps = optimizer.StepCount,
                    RngState = rng.State, Parameters = network.Parameters, Buffers = network.Buffers, OptimizerState = optimizer.State,
                    BestValidationLoss = bestLoss, BestEpoch = bestEpoch, EpochsWithoutImprovement = withoutImprovement,
                    BestParameters = bestParameters, BestBuffers = bestBuffers,
                });
            }
            progress?.Report(summary);
        }

        if (o.EarlyStoppingPatience is not null && bestParameters is not null)
        {
            bestParameters.CopyTo(network.Parameters, 0);
            bestBuffers?.CopyTo(network.Buffers, 0);
        }
        var final = validation is null ? null : Evaluate(network, validation);
        return new TrainingResult(network, history, final, bestEpoch, stoppedEarly);
    }

    /// <summary>Trains on <paramref name="data"/> on a worker thread (see <see cref="Train"/>).</summary>
    public Task<TrainingResult> TrainAsync(DigitDataset data, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Train(data, progress, cancellationToken), cancellationToken);

    /// <summary>Accuracy, loss, confusion matrix and per-class precision / recall of <paramref name="network"/> on <paramref name="data"/> (evaluation mode).</summary>
    public static EvaluationResult Evaluate(Network network, DigitDataset data, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        if (network.OutputSize != Classes) throw new ArgumentException($"The network outputs {network.OutputSize} values, not {Classes} digit classes.", nameof(network));
        var confusion = new int[Classes, Classes];
        var probabilities = new float[batchSize * Classes];
        double lossSum = 0;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, data.Count - start);
            var labels = data.Labels.Slice(start, n);
            var logits = network.Forward(data.Images.Slice(start * DigitDataset.ImageSize, n * DigitDataset.ImageSize), n, training: false);
            var p = probabilities.AsSpan(0, n * Classes);
            lossSum += (double)SoftmaxCrossEntropy.Forward(logits, labels, p, n, Classes) * n;
            for (int i = 0; i < n; i++) confusion[labels[i], ArgMax(p.Slice(i * Classes, Classes))]++;
        }
        return new EvaluationResult(confusion, data.Count == 0 ? 0 : lossSum / data.Count);
    }

    /// <summary>The network stored in a checkpoint (the best weights when it tracked them for early stopping).</summary>
    public static Network LoadNetwork(string checkpointPath)
    {
        var s = Checkpoint.Load(checkpointPath);
        var network = NetworkSpec.Build(s.Spec);
        (s.BestParameters ?? s.Parameters).CopyTo(network.Parameters, 0);
        (s.BestBuffers ?? s.Buffers).CopyTo(network.Buffers, 0);
        return network;
    }

    private static int CountCorrect(ReadOnlySpan<float> probabilities, ReadOnlySpan<byte> labels, int n)
    {
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            if (ArgMax(probabilities.Slice(i * Classes, Classes)) == labels[i]) correct++;
        }
        return correct;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int k = 1; k < values.Length; k++)
        {
            if (values[k] > values[best]) best = k;
        }
        return best;
    }
}

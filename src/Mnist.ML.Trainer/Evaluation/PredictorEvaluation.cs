// Evaluates an exported model (through MnistPredictor, the way users run it) on a labelled set:
// the same EvaluationResult the trainer gives for a Network, plus the misclassified images.
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Evaluation;

/// <summary>A misclassified image: its index in the data set, its label, and what the model said.</summary>
internal sealed record Mistake(int Index, int Label, Prediction Prediction);

/// <summary>How a predictor did on a labelled data set, with every mistake it made.</summary>
internal sealed record PredictorEvaluation(EvaluationResult Result, IReadOnlyList<Mistake> Mistakes)
{
    /// <summary>
    /// Runs <paramref name="predictor"/> on every image of <paramref name="data"/> in batches (the
    /// 28x28 pixels go to the model untouched, as in training) and scores the predictions.
    /// </summary>
    public static PredictorEvaluation Run(MnistPredictor predictor, DigitDataset data, int batchSize = 500, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(data);
        var confusion = new int[MnistTrainer.Classes, MnistTrainer.Classes];
        var mistakes = new List<Mistake>();
        double lossSum = 0;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = Math.Min(batchSize, data.Count - start);
            IReadOnlyList<Prediction> predictions = predictor.PredictBatch(data.Images.Slice(start * DigitDataset.ImageSize, n * DigitDataset.ImageSize), n);
            for (int i = 0; i < n; i++)
            {
                int label = data.Labels[start + i];
                Prediction p = predictions[i];
                // Cross-entropy of the softmax output; the floor keeps one confident mistake from making the mean infinite.
                lossSum -= Math.Log(Math.Max(p.Probabilities[label], 1e-12));
                confusion[label, p.Digit]++;
                if (p.Digit != label)
                {
                    mistakes.Add(new Mistake(start + i, label, p));
                }
            }
        }
        return new PredictorEvaluation(new EvaluationResult(confusion, data.Count == 0 ? 0 : lossSum / data.Count), mistakes);
    }
}

// Accuracy, loss, confusion matrix and per-class precision / recall of a network on a data set.
using System.Text;

namespace Mnist.ML.Trainer.Training;

/// <summary>
/// How a network did on a labelled set: accuracy, mean cross-entropy, the confusion matrix
/// (rows: true digit, columns: predicted) and per-class precision and recall. Immutable; thread-safe.
/// </summary>
public sealed class EvaluationResult
{
    private readonly int[,] _confusion;

    internal EvaluationResult(int[,] confusion, double loss)
    {
        _confusion = confusion;
        Classes = confusion.GetLength(0);
        Loss = loss;
        int correct = 0;
        var precision = new double[Classes];
        var recall = new double[Classes];
        for (int k = 0; k < Classes; k++)
        {
            correct += confusion[k, k];
            int actual = 0, predicted = 0;
            for (int j = 0; j < Classes; j++)
            {
                actual += confusion[k, j];
                predicted += confusion[j, k];
                Count += confusion[k, j];
            }
            precision[k] = predicted == 0 ? 0 : (double)confusion[k, k] / predicted;
            recall[k] = actual == 0 ? 0 : (double)confusion[k, k] / actual;
        }
        Accuracy = Count == 0 ? 0 : (double)correct / Count;
        Precision = precision;
        Recall = recall;
    }

    /// <summary>Number of images evaluated.</summary>
    public int Count { get; }

    /// <summary>Number of classes (10).</summary>
    public int Classes { get; }

    /// <summary>Share of images whose most probable class is the label, 0..1.</summary>
    public double Accuracy { get; }

    /// <summary>Mean cross-entropy (no label smoothing).</summary>
    public double Loss { get; }

    /// <summary>Per class: of the images predicted as this class, the share that are it (0 when never predicted).</summary>
    public IReadOnlyList<double> Precision { get; }

    /// <summary>Per class: of the images of this class, the share predicted as it (0 when absent).</summary>
    public IReadOnlyList<double> Recall { get; }

    /// <summary>Images of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public int Confusion(int actual, int predicted) => _confusion[actual, predicted];

    /// <summary>A copy of the confusion matrix, [actual, predicted].</summary>
    public int[,] ConfusionMatrix => (int[,])_confusion.Clone();

    /// <summary>Accuracy, loss, and the confusion matrix with recall and precision as a text table.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"accuracy {Accuracy:P2} loss {Loss:F4} on {Count} images");
        sb.Append("true\\pred");
        for (int j = 0; j < Classes; j++) sb.Append($"{j,6}");
        sb.AppendLine("  recall");
        for (int k = 0; k < Classes; k++)
        {
            sb.Append($"{k,9}");
            for (int j = 0; j < Classes; j++) sb.Append($"{_confusion[k, j],6}");
            sb.AppendLine($"  {Recall[k],6:P1}");
        }
        sb.Append("precision");
        for (int j = 0; j < Classes; j++) sb.Append($"{Precision[j] * 100,6:F1}");
        return sb.AppendLine().ToString();
    }
}

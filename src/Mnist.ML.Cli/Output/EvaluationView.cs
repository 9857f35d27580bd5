// An evaluation as terminal text: accuracy and loss, per-class precision / recall / F1, and the
// confusion matrix (rows: true digit, columns: predicted digit).
using System.Globalization;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Cli.Output;

internal static class EvaluationView
{
    public static void Write(TextWriter output, EvaluationResult r)
    {
        int correct = Enumerable.Range(0, r.Classes).Sum(k => r.Confusion(k, k));
        output.WriteLine(Invariant($"accuracy  {r.Accuracy * 100:F2}% ({correct:N0} of {r.Count:N0} images)"));
        output.WriteLine(Invariant($"loss      {r.Loss:F4}"));
        output.WriteLine();
        output.WriteLine("digit  precision  recall      F1   images");
        for (int k = 0; k < r.Classes; k++)
        {
            int images = Enumerable.Range(0, r.Classes).Sum(j => r.Confusion(k, j));
            output.WriteLine(Invariant($"{k,5}  {r.Precision[k] * 100,8:F2}%  {r.Recall[k] * 100,6:F2}%  {F1(r, k) * 100,6:F2}%  {images,7:N0}"));
        }
        output.WriteLine();
        output.WriteLine("confusion matrix (rows: true digit, columns: predicted digit)");
        output.Write("true\\pred");
        for (int j = 0; j < r.Classes; j++)
        {
            output.Write(Invariant($"{j,6}"));
        }
        output.WriteLine();
        for (int k = 0; k < r.Classes; k++)
        {
            output.Write(Invariant($"{k,9}"));
            for (int j = 0; j < r.Classes; j++)
            {
                output.Write(Invariant($"{r.Confusion(k, j),6}"));
            }
            output.WriteLine();
        }
    }

    /// <summary>The harmonic mean of precision and recall of class <paramref name="k"/> (0 when both are 0).</summary>
    public static double F1(EvaluationResult r, int k) =>
        r.Precision[k] + r.Recall[k] == 0 ? 0 : 2 * r.Precision[k] * r.Recall[k] / (r.Precision[k] + r.Recall[k]);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

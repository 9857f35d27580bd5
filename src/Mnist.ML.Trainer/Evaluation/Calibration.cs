// Temperature scaling (Guo et al., 2017, "On Calibration of Modern Neural Networks"): one scalar T,
// fitted on held-out data by minimising the negative log-likelihood of softmax(logits / T), and the
// expected calibration error (ECE) that says how far confidences are from accuracies.
namespace Mnist.ML.Trainer.Evaluation;

/// <summary>
/// Fits and measures the calibration of a classifier's logits. Logits are (N, classes) row-major,
/// labels (N). Fit on a validation split, never on the test set. Stateless and thread-safe.
/// </summary>
public static class Calibration
{
    /// <summary>The usual number of equal-width confidence bins for <see cref="ExpectedCalibrationError"/>.</summary>
    public const int DefaultBins = 15;

    /// <summary>Temperatures are searched in [MinTemperature, MaxTemperature].</summary>
    public const double MinTemperature = 0.05, MaxTemperature = 20;

    /// <summary>
    /// The temperature T minimising the mean negative log-likelihood of softmax(logits / T): a
    /// golden-section search on log T over [<see cref="MinTemperature"/>, <see cref="MaxTemperature"/>]
    /// to a relative precision of 1e-6. The NLL is convex in 1/T, so it has one minimum on the line
    /// and the search finds it. T above 1 means the raw model was over-confident.
    /// </summary>
    public static double FitTemperature(ReadOnlySpan<float> logits, ReadOnlySpan<byte> labels, int classes = 10)
    {
        Check(logits, labels, classes);
        if (labels.IsEmpty) throw new ArgumentException("Fitting a temperature needs at least one labelled example.", nameof(labels));
        double invPhi = (Math.Sqrt(5) - 1) / 2;
        double a = Math.Log(MinTemperature), b = Math.Log(MaxTemperature);
        double c = b - invPhi * (b - a), d = a + invPhi * (b - a);
        double fc = NegativeLogLikelihood(logits, labels, Math.Exp(c), classes);
        double fd = NegativeLogLikelihood(logits, labels, Math.Exp(d), classes);
        while (b - a > 1e-6)
        {
            if (fc <= fd)
            {
                b = d; d = c; fd = fc;
                c = b - invPhi * (b - a);
                fc = NegativeLogLikelihood(logits, labels, Math.Exp(c), classes);
            }
            else
            {
                a = c; c = d; fc = fd;
                d = a + invPhi * (b - a);
                fd = NegativeLogLikelihood(logits, labels, Math.Exp(d), classes);
            }
        }
        return Math.Exp((a + b) / 2);
    }

    /// <summary>Mean negative log-likelihood (cross-entropy, natural log) of softmax(logits / temperature).</summary>
    public static double NegativeLogLikelihood(ReadOnlySpan<float> logits, ReadOnlySpan<byte> labels, double temperature = 1, int classes = 10)
    {
        Check(logits, labels, classes);
        CheckTemperature(temperature);
        double sum = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var row = logits.Slice(i * classes, classes);
            // log-sum-exp with the max subtracted first (STYLE.md): exp never overflows
            double max = double.NegativeInfinity;
            foreach (float z in row) max = Math.Max(max, z / temperature);
            double exps = 0;
            foreach (float z in row) exps += Math.Exp(z / temperature - max);
            sum += max + Math.Log(exps) - row[labels[i]] / temperature;
        }
        return labels.IsEmpty ? 0 : sum / labels.Length;
    }

    /// <summary>
    /// Expected calibration error of softmax(logits / temperature): the confidences (top-class
    /// probabilities) fall in <paramref name="bins"/> equal-width bins (lower, upper] over (0, 1]; ECE is
    /// the sum over bins of (share of examples in the bin) x |accuracy - mean confidence in the bin|,
    /// 0 (perfectly calibrated) to 1. As in Guo et al. and PyTorch reference code.
    /// </summary>
    public static double ExpectedCalibrationError(ReadOnlySpan<float> logits, ReadOnlySpan<byte> labels, double temperature = 1, int bins = DefaultBins, int classes = 10)
    {
        Check(logits, labels, classes);
        CheckTemperature(temperature);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var count = new int[bins];
        var correct = new int[bins];
        var confidenceSum = new double[bins];
        for (int i = 0; i < labels.Length; i++)
        {
            var row = logits.Slice(i * classes, classes);
            int best = 0;
            for (int k = 1; k < classes; k++) if (row[k] > row[best]) best = k;
            double exps = 0;
            foreach (float z in row) exps += Math.Exp((z - row[best]) / temperature);
            double confidence = 1 / exps; // softmax of the top class
            int bin = Math.Clamp((int)Math.Ceiling(confidence * bins) - 1, 0, bins - 1);
            count[bin]++;
            confidenceSum[bin] += confidence;
            if (best == labels[i]) correct[bin]++;
        }
        double ece = 0;
        for (int b = 0; b < bins; b++)
        {
            if (count[b] > 0) ece += Math.Abs(correct[b] - confidenceSum[b]) / labels.Length;
        }
        return ece;
    }

    private static void Check(ReadOnlySpan<float> logits, ReadOnlySpan<byte> labels, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        if (logits.Length != labels.Length * classes)
        {
            throw new ArgumentException($"Expected {labels.Length} x {classes} logits for {labels.Length} labels, got {logits.Length}.", nameof(logits));
        }
        foreach (byte label in labels)
        {
            if (label >= classes) throw new ArgumentException($"Label {label} is not one of the {classes} classes.", nameof(labels));
        }
    }

    private static void CheckTemperature(double temperature)
    {
        if (!(temperature > 0 && double.IsFinite(temperature)))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be a positive finite number.");
        }
    }
}

// Temperature scaling finds the temperature that generated the labels, ECE is computed as defined
// (15 bins, (lower, upper]), and fitting it lowers ECE on over-confident logits.
using Mnist.ML.Trainer.Evaluation;

namespace Mnist.ML.Trainer.Tests.Evaluation;

[TestClass]
public sealed class CalibrationTests
{
    /// <summary>Random logits and labels drawn from softmax(logits / trueTemperature): T = trueTemperature is the calibrated one.</summary>
    private static (float[] Logits, byte[] Labels) Sample(int n, double trueTemperature, int seed)
    {
        var random = new Random(seed);
        var logits = new float[n * 10];
        var labels = new byte[n];
        var p = new double[10];
        for (int i = 0; i < n; i++)
        {
            for (int k = 0; k < 10; k++) logits[i * 10 + k] = (float)(random.NextDouble() * 12 - 6);
            double max = logits.AsSpan(i * 10, 10).ToArray().Max(), sum = 0;
            for (int k = 0; k < 10; k++) sum += p[k] = Math.Exp((logits[i * 10 + k] - max) / trueTemperature);
            double u = random.NextDouble() * sum;
            int label = 0;
            while (label < 9 && (u -= p[label]) > 0) label++;
            labels[i] = (byte)label;
        }
        return (logits, labels);
    }

    [TestMethod]
    [DataRow(0.5)]
    [DataRow(1.0)]
    [DataRow(2.5)]
    public void FitTemperature_RecoversTheTemperatureThatGeneratedTheLabels(double trueTemperature)
    {
        var (logits, labels) = Sample(20_000, trueTemperature, seed: 5);
        double fitted = Calibration.FitTemperature(logits, labels);
        Assert.AreEqual(trueTemperature, fitted, trueTemperature * 0.05, $"fitted {fitted}");
    }

    [TestMethod]
    public void FitTemperature_IsTheMinimumOfTheNll()
    {
        var (logits, labels) = Sample(2_000, 1.7, seed: 9);
        double t = Calibration.FitTemperature(logits, labels);
        double best = Calibration.NegativeLogLikelihood(logits, labels, t);
        Assert.IsLessThan(Calibration.NegativeLogLikelihood(logits, labels, t * 1.01), best);
        Assert.IsLessThan(Calibration.NegativeLogLikelihood(logits, labels, t / 1.01), best);
    }

    [TestMethod]
    public void OverConfidentLogits_FittedTemperatureAboveOne_LowersEce()
    {
        var (logits, labels) = Sample(5_000, 3.0, seed: 11); // the raw logits are 3x too sharp
        double t = Calibration.FitTemperature(logits, labels);
        double before = Calibration.ExpectedCalibrationError(logits, labels);
        double after = Calibration.ExpectedCalibrationError(logits, labels, t);
        Assert.IsGreaterThan(1.0, t);
        Assert.IsLessThan(before / 3, after, $"ECE {before} -> {after} at T {t}");
    }

    [TestMethod]
    public void Ece_IsTheBinWeightedGapBetweenAccuracyAndConfidence()
    {
        // Two classes. Confidences softmax([ln 9, 0]) = 0.9 (bin (13/15, 14/15]) twice, right once;
        // softmax([ln 3, 0]) = 0.75 (bin (11/15, 12/15]) once, right. ECE = 2/3 |0.5 - 0.9| + 1/3 |1 - 0.75|.
        float ln9 = (float)Math.Log(9), ln3 = (float)Math.Log(3);
        float[] logits = [ln9, 0, ln9, 0, ln3, 0];
        byte[] labels = [0, 1, 0];
        double expected = 2.0 / 3 * 0.4 + 1.0 / 3 * 0.25;
        Assert.AreEqual(expected, Calibration.ExpectedCalibrationError(logits, labels, classes: 2), 1e-6);
        // One bin pools all three: |2/3 - (0.9 + 0.9 + 0.75) / 3|.
        Assert.AreEqual(Math.Abs(2.0 / 3 - 0.85), Calibration.ExpectedCalibrationError(logits, labels, bins: 1, classes: 2), 1e-6);
    }

    [TestMethod]
    public void Nll_AtTemperatureOne_IsTheCrossEntropy()
    {
        float[] logits = [2, 0, -1];
        byte[] labels = [1];
        double expected = Math.Log(Math.Exp(2) + 1 + Math.Exp(-1));
        Assert.AreEqual(expected, Calibration.NegativeLogLikelihood(logits, labels, classes: 3), 1e-9);
        Assert.AreEqual(Math.Log(Math.Exp(1) + 1 + Math.Exp(-0.5)), Calibration.NegativeLogLikelihood(logits, labels, 2, classes: 3), 1e-9);
    }

    [TestMethod]
    public void BadArguments_AreRefusedWithAClearException()
    {
        Assert.ThrowsExactly<ArgumentException>(() => Calibration.FitTemperature(new float[19], new byte[2]));
        Assert.ThrowsExactly<ArgumentException>(() => Calibration.FitTemperature([], []));
        Assert.ThrowsExactly<ArgumentException>(() => Calibration.NegativeLogLikelihood(new float[10], [10]));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Calibration.ExpectedCalibrationError(new float[10], [1], temperature: 0));
    }
}

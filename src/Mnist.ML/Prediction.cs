// What a prediction tells the caller: the digit, how sure the model is, and what the model saw.
using Mnist.ML.Imaging;

namespace Mnist.ML;

/// <summary>
/// The result of recognising one digit. Immutable and safe to share between threads.
/// </summary>
public sealed class Prediction
{
    private readonly float[] _probabilities;

    internal Prediction(float[] probabilities, PreprocessedDigit modelInput, float minimumConfidence)
    {
        _probabilities = probabilities;
        ModelInput = modelInput;
        int best = 0;
        for (int d = 1; d < probabilities.Length; d++)
        {
            if (probabilities[d] > probabilities[best])
            {
                best = d;
            }
        }
        Digit = best;
        Confidence = probabilities[best];
        IsConfident = Confidence >= minimumConfidence;
    }

    /// <summary>The most probable digit, 0 to 9. Always set, even when <see cref="IsConfident"/> is false.</summary>
    public int Digit { get; }

    /// <summary>The probability of <see cref="Digit"/>, in 0..1.</summary>
    public float Confidence { get; }

    /// <summary>
    /// False when <see cref="Confidence"/> is below <see cref="MnistPredictorOptions.MinimumConfidence"/>:
    /// the model's best guess is reported in <see cref="Digit"/> but it is unsure (for example the image
    /// is not a digit, or is two digits). Always true when MinimumConfidence is 0 (the default).
    /// </summary>
    public bool IsConfident { get; }

    /// <summary>The probability of each digit 0..9 (10 values summing to 1): the softmax of the model's logits.</summary>
    public IReadOnlyList<float> Probabilities => _probabilities;

    /// <summary>
    /// The 28x28 input the model saw (MNIST convention: ink bright on black, 0..1); call
    /// <see cref="PreprocessedDigit.ToPng"/> on it to show or log it.
    /// </summary>
    public PreprocessedDigit ModelInput { get; }

    /// <summary>E.g. "7 (99.2%)".</summary>
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Digit} ({Confidence:P1}{(IsConfident ? "" : ", not confident")})");
}

// The one way a readable image can still have no answer: nothing in it looks like ink.
namespace Mnist.ML;

/// <summary>
/// The image (or the 28x28 pixels) holds no ink: no stroke stands out from the background, so there
/// is no digit to recognise. <see cref="MnistPredictor"/> throws this rather than guessing a digit
/// from noise. Send a picture of one digit, dark on light or light on dark. A web API should answer
/// it with 422 Unprocessable Content; a command line with an error line.
/// </summary>
public sealed class NoInkException : Exception
{
    /// <summary>Creates the exception with the standard message.</summary>
    public NoInkException()
        : this(null)
    {
    }

    /// <summary>Creates the exception for the item at <paramref name="batchIndex"/> of a batch (null for a single image).</summary>
    public NoInkException(int? batchIndex)
        : base(Describe(batchIndex))
    {
        BatchIndex = batchIndex;
    }

    /// <summary>In <see cref="MnistPredictor.PredictBatch(IEnumerable{byte[]})"/> and friends: which item was blank; null for a single prediction.</summary>
    public int? BatchIndex { get; }

    private static string Describe(int? batchIndex) =>
        (batchIndex is { } i ? $"Image {i} of the batch" : "The image") +
        " has no ink: nothing stands out from the background, so there is no digit to recognise. Send a picture of a single digit (dark on light or light on dark).";
}

// Raised when the MNIST files cannot be downloaded: no mirror reachable, or what arrived is not MNIST.
namespace Mnist.ML.Trainer.Data;

/// <summary>
/// The MNIST files could not be downloaded from any mirror. <see cref="IsNetworkError"/> tells a
/// network failure (offline, DNS, refused, timeout, HTTP error) from content that arrived but failed
/// its SHA-256 check. The message lists what each mirror answered and how to get the files without
/// the internet (scripts/fetch-mnist.sh). Immutable; thread-safe.
/// </summary>
public sealed class MnistDownloadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MnistDownloadException(string message, bool isNetworkError, Exception? innerException = null)
        : base(message, innerException)
    {
        IsNetworkError = isNetworkError;
    }

    /// <summary>True when no mirror could be reached or answered; false when a mirror served a file that failed verification.</summary>
    public bool IsNetworkError { get; }
}

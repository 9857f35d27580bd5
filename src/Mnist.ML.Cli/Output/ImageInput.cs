// One input of `mnist predict`: a file path or an http(s) URL, read (URLs through the SSRF-safe
// fetcher, with size and time limits) and recognised; failures become an exit code and a message.
using Mnist.ML.Imaging;
using Mnist.ML.Net;

namespace Mnist.ML.Cli.Output;

internal static class ImageInput
{
    /// <summary>Largest image downloaded from a URL. Files are limited by the predictor's ImageLimits.</summary>
    public const long MaxUrlBytes = 20L * 1024 * 1024;

    /// <summary>Time for one URL download, redirects included.</summary>
    public static readonly TimeSpan UrlTimeout = TimeSpan.FromSeconds(15);

    /// <summary>True for anything written like a URL ("scheme://..."); those never fall back to being file names.</summary>
    public static bool IsUrl(string input) => input.Contains("://", StringComparison.Ordinal);

    public static SafeImageFetcher CreateFetcher(IReadOnlyCollection<string> allowedHosts) =>
        new(new SafeFetchOptions { AllowedHosts = allowedHosts, MaxBytes = MaxUrlBytes, Timeout = UrlTimeout });

    public static async Task<Prediction> PredictAsync(MnistPredictor predictor, SafeImageFetcher fetcher, string input, CancellationToken cancellationToken)
    {
        if (!IsUrl(input))
        {
            return predictor.Predict(input);
        }
        FetchedImage image = await fetcher.FetchAsync(SafeImageFetcher.ParseUrl(input), cancellationToken).ConfigureAwait(false);
        return predictor.Predict(image.Bytes);
    }

    /// <summary>The exit code and message for an input that failed, or null for a failure that is not the input's fault.</summary>
    public static (ExitCode Code, string Message)? Describe(Exception e) => e switch
    {
        UrlFetchException { Error: UrlFetchError.UnknownHost or UrlFetchError.Timeout or UrlFetchError.Upstream } => (ExitCode.Network, e.Message),
        UrlFetchException { Error: UrlFetchError.ForbiddenAddress } => (ExitCode.InputError, e.Message + " (mnist predict: --allow-host HOST lets one through.)"),
        UrlFetchException => (ExitCode.InputError, e.Message),
        ImageFormatException or UnsupportedImageException or NoInkException => (ExitCode.InputError, e.Message),
        FileNotFoundException or DirectoryNotFoundException => (ExitCode.InputError, "no such file."),
        UnauthorizedAccessException or IOException => (ExitCode.InputError, e.Message),
        _ => null,
    };
}

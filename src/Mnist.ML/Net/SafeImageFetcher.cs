// Server-side image download that cannot be turned against the network it runs in (SSRF):
// http(s) only, every address checked on the IP actually connected to, redirects followed by hand
// and re-checked, size and time capped, the bytes sniffed as an image. Shared by the server and the CLI.
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Mnist.ML.Imaging;

namespace Mnist.ML.Net;

/// <summary>Limits for <see cref="SafeImageFetcher"/>. Immutable.</summary>
internal sealed record SafeFetchOptions
{
    /// <summary>Host names or IP literals that may be fetched even when they resolve to a private address.</summary>
    public IReadOnlyCollection<string> AllowedHosts { get; init; } = [];

    /// <summary>Largest body accepted, in bytes. Default 5 MiB.</summary>
    public long MaxBytes { get; init; } = 5L * 1024 * 1024;

    /// <summary>Time for the whole fetch, redirects and body included. Default 10 s.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Redirects followed at most. Default 3.</summary>
    public int MaxRedirects { get; init; } = 3;

    /// <summary>Name resolution; tests replace it to give a loopback test host a name.</summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; init; } = Dns.GetHostAddressesAsync;
}

/// <summary>Why a fetch failed; callers map it to an exit code or an HTTP status.</summary>
internal enum UrlFetchError
{
    /// <summary>Not an absolute http(s) URL.</summary>
    InvalidUrl,
    /// <summary>The host resolves to an address that may not be fetched (loopback, private, metadata...).</summary>
    ForbiddenAddress,
    /// <summary>The host name does not resolve.</summary>
    UnknownHost,
    /// <summary>The body is over <see cref="SafeFetchOptions.MaxBytes"/>.</summary>
    TooLarge,
    /// <summary>The fetch took longer than <see cref="SafeFetchOptions.Timeout"/>.</summary>
    Timeout,
    /// <summary>Connection failure, a non-success status, or too many redirects.</summary>
    Upstream,
    /// <summary>The body is not a PNG, JPEG, BMP or GIF.</summary>
    NotAnImage,
}

/// <summary>A URL could not be fetched; the message says why and what to do.</summary>
internal sealed class UrlFetchException(UrlFetchError error, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public UrlFetchError Error { get; } = error;
}

/// <summary>An image downloaded by <see cref="SafeImageFetcher"/>.</summary>
internal sealed record FetchedImage(Uri FinalUrl, string? ContentType, byte[] Bytes);

/// <summary>Downloads images from user-supplied URLs safely. Thread-safe; one instance per process.</summary>
internal sealed class SafeImageFetcher : IDisposable
{
    private readonly SafeFetchOptions _options;
    private readonly HashSet<string> _allowed;
    private readonly HttpClient _http;

    public SafeImageFetcher(SafeFetchOptions options)
    {
        _options = options;
        _allowed = new HashSet<string>(options.AllowedHosts.Select(NormalizeHost), StringComparer.OrdinalIgnoreCase);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,      // every hop is validated by FetchAsync
            UseProxy = false,               // a proxy would connect on our behalf, past the address check
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = ConnectAsync,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Mnist.ML", "0.1"));
        _http.DefaultRequestHeaders.Accept.ParseAdd("image/png, image/jpeg, image/gif, image/bmp, image/*;q=0.8");
    }

    public SafeFetchOptions Options => _options;

    /// <summary>Parses and checks a user-supplied URL string.</summary>
    /// <exception cref="UrlFetchException">Not an absolute http(s) URL with a host.</exception>
    public static Uri ParseUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new UrlFetchException(UrlFetchError.InvalidUrl, "The URL is empty. Give an absolute http:// or https:// URL of an image.");
        }
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out Uri? uri))
        {
            throw new UrlFetchException(UrlFetchError.InvalidUrl, $"'{Truncate(url)}' is not an absolute URL. Give an http:// or https:// URL of an image.");
        }
        CheckScheme(uri);
        return uri;
    }

    /// <summary>Downloads the image at <paramref name="url"/>, following at most <see cref="SafeFetchOptions.MaxRedirects"/> redirects.</summary>
    /// <exception cref="UrlFetchException">The URL is refused, the download fails, or the body is not an image.</exception>
    public async Task<FetchedImage> FetchAsync(Uri url, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            return await FetchCoreAsync(url, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new UrlFetchException(UrlFetchError.Timeout,
                $"{url.Host} did not send the image within {_options.Timeout.TotalSeconds:0.#} s. Try again later or use a faster host.");
        }
    }

    private async Task<FetchedImage> FetchCoreAsync(Uri url, CancellationToken ct)
    {
        for (int hop = 0; ; hop++)
        {
            CheckScheme(url);
            // Checked before any connection so the caller gets a clear error; ConnectAsync checks
            // again on the address it really connects to (the name may resolve differently then).
            await ResolvePermittedAsync(url.IdnHost, ct).ConfigureAwait(false);

            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e) when (FindFetchException(e) is { } refused)
            {
                throw refused;
            }
            catch (HttpRequestException e)
            {
                throw new UrlFetchException(UrlFetchError.Upstream, $"Could not reach {url.Host}: {e.Message}", e);
            }

            using (response)
            {
                if (IsRedirect(response.StatusCode))
                {
                    Uri? location = response.Headers.Location;
                    if (location is null)
                    {
                        throw new UrlFetchException(UrlFetchError.Upstream, $"{url.Host} answered {(int)response.StatusCode} without a Location header.");
                    }
                    if (hop >= _options.MaxRedirects)
                    {
                        throw new UrlFetchException(UrlFetchError.Upstream,
                            $"{url.Host} redirected more than {_options.MaxRedirects} times. Give the image's final URL.");
                    }
                    url = location.IsAbsoluteUri ? location : new Uri(url, location);
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                {
                    throw new UrlFetchException(UrlFetchError.Upstream,
                        $"{url.Host} answered {(int)response.StatusCode} {response.ReasonPhrase} for {Truncate(url.AbsolutePath)}.");
                }
                byte[] bytes = await ReadCappedAsync(response, url, ct).ConfigureAwait(false);
                if (ImageDecoder.Sniff(bytes) == ImageFormat.Unknown)
                {
                    throw new UrlFetchException(UrlFetchError.NotAnImage,
                        $"{url.Host} sent {response.Content.Headers.ContentType?.MediaType ?? "content"} that is not a PNG, JPEG, BMP or GIF image.");
                }
                return new FetchedImage(url, response.Content.Headers.ContentType?.MediaType, bytes);
            }
        }
    }

    private async Task<byte[]> ReadCappedAsync(HttpResponseMessage response, Uri url, CancellationToken ct)
    {
        long max = _options.MaxBytes;
        if (response.Content.Headers.ContentLength is long declared && declared > max)
        {
            throw TooLarge(url, max);
        }
        await using Stream body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > max)
            {
                throw TooLarge(url, max);
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static UrlFetchException TooLarge(Uri url, long max) =>
        new(UrlFetchError.TooLarge, $"The image at {url.Host} is larger than the limit of {max:N0} bytes. Use a smaller image.");

    /// <summary>SocketsHttpHandler calls this for every new connection: resolve, check, connect to the checked address.</summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        IPAddress[] addresses = await ResolvePermittedAsync(context.DnsEndPoint.Host, ct).ConfigureAwait(false);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The addresses of <paramref name="host"/> that may be connected to; throws when there are none.</summary>
    private async Task<IPAddress[]> ResolvePermittedAsync(string host, CancellationToken ct)
    {
        host = NormalizeHost(host);
        bool allowListed = _allowed.Contains(host);
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out IPAddress? literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await _options.Resolve(host, ct).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                throw new UrlFetchException(UrlFetchError.UnknownHost, $"The host name {host} could not be resolved ({e.SocketErrorCode}). Check the URL.", e);
            }
        }
        if (allowListed)
        {
            return addresses;
        }
        IPAddress[] permitted = Array.FindAll(addresses, AddressPolicy.IsPublic);
        if (permitted.Length == 0)
        {
            string shown = addresses.Length == 0 ? "no address" : string.Join(", ", addresses.Take(3).Select(a => a.ToString()));
            throw new UrlFetchException(UrlFetchError.ForbiddenAddress,
                $"Refused to fetch from {host} ({shown}): loopback, private, link-local, shared, multicast and metadata addresses cannot be fetched. Use a public image URL, or add the host to the allowed hosts setting.");
        }
        return permitted;
    }

    private static void CheckScheme(Uri uri)
    {
        if (!uri.IsAbsoluteUri || uri.Scheme is not ("http" or "https"))
        {
            throw new UrlFetchException(UrlFetchError.InvalidUrl,
                $"Only http:// and https:// URLs can be fetched, not '{Truncate(uri.IsAbsoluteUri ? uri.Scheme + ":" : uri.OriginalString)}'.");
        }
        if (string.IsNullOrEmpty(uri.Host))
        {
            throw new UrlFetchException(UrlFetchError.InvalidUrl, "The URL has no host.");
        }
    }

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static string NormalizeHost(string host) => host.Trim().TrimStart('[').TrimEnd(']').TrimEnd('.');

    private static UrlFetchException? FindFetchException(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is UrlFetchException found)
            {
                return found;
            }
        }
        return null;
    }

    private static string Truncate(string s) => s.Length <= 100 ? s : s[..100] + "…";

    public void Dispose() => _http.Dispose();
}

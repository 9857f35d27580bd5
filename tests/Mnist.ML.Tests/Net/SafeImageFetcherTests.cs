// SafeImageFetcher against a loopback test host: allow-listed names are fetched, everything private is refused
// before a connection is made, every redirect and every new connection is checked again, limits hold.
using System.Net;
using Mnist.ML.Imaging;
using Mnist.ML.Net;
using Mnist.ML.Testing;

namespace Mnist.ML.Tests.Net;

[TestClass]
public sealed class SafeImageFetcherTests
{
    private static readonly byte[] Png = PngEncoder.EncodeGray8(new byte[28 * 28], 28, 28);

    private static LoopbackImageHost Host() => new(new()
    {
        ["/digit.png"] = LoopbackImageHost.Bytes(Png),
        ["/hop"] = LoopbackImageHost.Redirect("/digit.png"),
        ["/to-private"] = LoopbackImageHost.Redirect("http://10.0.0.1/digit.png"),
        ["/to-other-name"] = LoopbackImageHost.Redirect("/digit.png".Insert(0, "http://other.test:1")),
        ["/big"] = LoopbackImageHost.Bytes(new byte[10_000]),
        ["/text"] = LoopbackImageHost.Bytes("hello"u8.ToArray(), "text/plain"),
    });

    private sealed class Resolver
    {
        public int Calls;

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
        {
            Interlocked.Increment(ref Calls);
            return host is "images.test" or "other.test"
                ? Task.FromResult(new[] { IPAddress.Loopback })
                : throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound);
        }
    }

    private static SafeImageFetcher Fetcher(Resolver resolver, long maxBytes = 5000) => new(new SafeFetchOptions
    {
        AllowedHosts = ["images.test"],
        MaxBytes = maxBytes,
        Timeout = TimeSpan.FromSeconds(10),
        Resolve = resolver.ResolveAsync,
    });

    [TestMethod]
    public async Task Allow_listed_name_is_fetched_and_resolved_again_when_connecting()
    {
        using LoopbackImageHost host = Host();
        var resolver = new Resolver();
        using SafeImageFetcher fetcher = Fetcher(resolver);

        FetchedImage image = await fetcher.FetchAsync(new Uri(host.Url("/digit.png", "images.test")));

        CollectionAssert.AreEqual(Png, image.Bytes);
        Assert.AreEqual("image/png", image.ContentType);
        Assert.AreEqual(2, resolver.Calls, "once to check the URL, once in the connect callback for the address actually used");
    }

    [TestMethod]
    public async Task Redirects_are_followed_by_hand_and_each_target_is_checked()
    {
        using LoopbackImageHost host = Host();
        var resolver = new Resolver();
        using SafeImageFetcher fetcher = Fetcher(resolver);

        FetchedImage image = await fetcher.FetchAsync(new Uri(host.Url("/hop", "images.test")));
        Assert.EndsWith("/digit.png", image.FinalUrl.AbsoluteUri);

        var toPrivate = await Assert.ThrowsExactlyAsync<UrlFetchException>(() => fetcher.FetchAsync(new Uri(host.Url("/to-private", "images.test"))));
        Assert.AreEqual(UrlFetchError.ForbiddenAddress, toPrivate.Error);
        Assert.Contains("10.0.0.1", toPrivate.Message);

        // other.test resolves to loopback too but is not allow-listed: refused after the redirect.
        var toOther = await Assert.ThrowsExactlyAsync<UrlFetchException>(() => fetcher.FetchAsync(new Uri(host.Url("/to-other-name", "images.test"))));
        Assert.AreEqual(UrlFetchError.ForbiddenAddress, toOther.Error);
    }

    [TestMethod]
    [DataRow("http://127.0.0.1/digit.png")]
    [DataRow("http://localhost/digit.png")]
    [DataRow("http://[::1]/digit.png")]
    [DataRow("http://10.0.0.1/digit.png")]
    [DataRow("http://169.254.169.254/latest/meta-data/")]
    [DataRow("http://[fd00:ec2::254]/latest/meta-data/")]
    public async Task Private_addresses_are_refused_before_connecting(string url)
    {
        using var fetcher = new SafeImageFetcher(new SafeFetchOptions()); // the real system resolver: localhost comes from /etc/hosts

        var e = await Assert.ThrowsExactlyAsync<UrlFetchException>(() => fetcher.FetchAsync(SafeImageFetcher.ParseUrl(url)));

        Assert.AreEqual(UrlFetchError.ForbiddenAddress, e.Error);
        Assert.Contains("Refused", e.Message);
    }

    [TestMethod]
    public async Task Limits_unknown_hosts_and_non_images_fail_with_their_own_error()
    {
        using LoopbackImageHost host = Host();
        var resolver = new Resolver();
        using SafeImageFetcher fetcher = Fetcher(resolver, maxBytes: 5000);

        var big = await Assert.ThrowsExactlyAsync<UrlFetchException>(() => fetcher.FetchAsync(new Uri(host.Url("/big", "images.test"))));
        Assert.AreEqual(UrlFetchError.TooLarge, big.Error);
        var text = await Assert.ThrowsExactlyAsync<UrlFetchException>(() => fetcher.FetchAsync(new Uri(host.Url("/text", "images.test"))));
        Assert.AreEqual(UrlFetchError.NotAnImage, text.Error);
        var unknown = await Assert.ThrowsExactlyAsync<UrlFetchException>(() => fetcher.FetchAsync(new Uri("http://nowhere.test/digit.png")));
        Assert.AreEqual(UrlFetchError.UnknownHost, unknown.Error);
        var scheme = Assert.ThrowsExactly<UrlFetchException>(() => SafeImageFetcher.ParseUrl("file:///etc/passwd"));
        Assert.AreEqual(UrlFetchError.InvalidUrl, scheme.Error);
    }
}

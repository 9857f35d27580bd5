// POST /predict/url in-process: an allow-listed loopback image host works; every SSRF attempt (loopback,
// private, link-local/metadata, IPv6 loopback, a redirect to a private address) is refused before any connection.
using System.Net;
using System.Net.Http.Json;
using Mnist.ML.Server.Contracts;
using Mnist.ML.Testing;

namespace Mnist.ML.Server.Tests.Endpoints;

[TestClass]
public sealed class PredictionEndpointsUrlTests
{
    private static ServerFactory _factory = null!;
    private static HttpClient _client = null!;
    private static LoopbackImageHost _host = null!;
    private const string Allowed = ServerFactory.ImageHostName;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        byte[] big = new byte[200_000];
        TestImages.MnistPng(0).CopyTo(big, 0);
        _host = new LoopbackImageHost(new()
        {
            ["/seven.png"] = LoopbackImageHost.Bytes(TestImages.MnistPng(0)),
            ["/big.png"] = LoopbackImageHost.Bytes(big),
            ["/page.html"] = LoopbackImageHost.Bytes("<html>not an image</html>"u8.ToArray(), "text/html"),
            ["/missing.png"] = LoopbackImageHost.Status(404),
            ["/to-private"] = LoopbackImageHost.Redirect("http://10.0.0.1/digit.png"),
            ["/to-metadata"] = LoopbackImageHost.Redirect("http://169.254.169.254/latest/meta-data/"),
            ["/to-loopback-ip"] = LoopbackImageHost.Redirect("/seven.png".Insert(0, "http://127.0.0.1:1")),
            ["/loop"] = LoopbackImageHost.Redirect("/loop"),
            ["/hop"] = LoopbackImageHost.Redirect("/seven.png", 301),
            ["/slow.png"] = LoopbackImageHost.Bytes(TestImages.MnistPng(0)) with { Delay = TimeSpan.FromSeconds(6) },
        });
        _factory = new ServerFactory(new()
        {
            ["Mnist:UrlFetch:MaxBytes"] = "100000",
            ["Mnist:UrlFetch:TimeoutSeconds"] = "2",
        });
        _client = await _factory.CreateReadyClientAsync();
    }

    [ClassCleanup]
    public static void Stop()
    {
        _factory.Dispose();
        _host.Dispose();
    }

    private static Task<HttpResponseMessage> PostAsync(string url) =>
        _client.PostAsJsonAsync("/predict/url", new PredictUrlRequest(url));

    [TestMethod]
    public async Task Allow_listed_host_is_fetched_and_predicted()
    {
        using HttpResponseMessage response = await PostAsync(_host.Url("/seven.png", Allowed));

        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
        PredictionResponse p = (await response.Content.ReadFromJsonAsync<PredictionResponse>())!;
        Assert.AreEqual(TestImages.MnistLabel(0), p.Digit);
    }

    [TestMethod]
    public async Task Redirect_within_the_allowed_host_is_followed_and_each_hop_is_checked()
    {
        int before = _factory.ImageHostResolutions;
        using HttpResponseMessage response = await PostAsync(_host.Url("/hop", Allowed));

        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
        // Each hop is resolved and checked before its request (the connect callback checks again on new connections).
        Assert.IsGreaterThanOrEqualTo(2, _factory.ImageHostResolutions - before);
    }

    [TestMethod]
    [DataRow("http://127.0.0.1:{port}/seven.png", "127.0.0.1")]
    [DataRow("http://localhost:{port}/seven.png", "localhost")]
    [DataRow("http://[::1]:{port}/seven.png", "::1")]
    [DataRow("http://10.0.0.1/digit.png", "10.0.0.1")]
    [DataRow("http://192.168.1.1/digit.png", "192.168.1.1")]
    [DataRow("http://169.254.169.254/latest/meta-data/", "169.254.169.254")]
    [DataRow("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254")]
    [DataRow("http://100.64.0.1/digit.png", "100.64.0.1")]
    [DataRow("http://0.0.0.0:{port}/seven.png", "0.0.0.0")]
    [DataRow("http://2130706433:{port}/seven.png", "127.0.0.1")] // 127.0.0.1 written as one number
    [DataRow("http://[::ffff:127.0.0.1]:{port}/seven.png", "127.0.0.1")]
    public async Task Private_and_loopback_addresses_are_refused_before_connecting(string url, string shown)
    {
        int before = _host.Requests;
        using HttpResponseMessage response = await PostAsync(url.Replace("{port}", _host.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        await Problems.AssertAsync(response, HttpStatusCode.BadRequest, "Refused");
        Assert.Contains(shown, await response.Content.ReadAsStringAsync());
        Assert.AreEqual(before, _host.Requests, "the loopback host must not have been contacted");
    }

    [TestMethod]
    [DataRow("/to-private", "10.0.0.1")]
    [DataRow("/to-metadata", "169.254.169.254")]
    [DataRow("/to-loopback-ip", "127.0.0.1")]
    public async Task Redirect_from_an_allowed_host_to_a_private_address_is_refused(string path, string target)
    {
        using HttpResponseMessage response = await PostAsync(_host.Url(path, Allowed));

        string detail = await Problems.AssertAsync(response, HttpStatusCode.BadRequest, "Refused");
        Assert.Contains(target, detail);
    }

    [TestMethod]
    public async Task Too_many_redirects_is_502()
    {
        using HttpResponseMessage response = await PostAsync(_host.Url("/loop", Allowed));
        await Problems.AssertAsync(response, HttpStatusCode.BadGateway, "redirected more than 3 times");
    }

    [TestMethod]
    public async Task Upstream_failures_are_502_504_and_bodies_are_capped_and_sniffed()
    {
        using HttpResponseMessage missing = await PostAsync(_host.Url("/missing.png", Allowed));
        await Problems.AssertAsync(missing, HttpStatusCode.BadGateway, "404");

        using HttpResponseMessage slow = await PostAsync(_host.Url("/slow.png", Allowed));
        await Problems.AssertAsync(slow, HttpStatusCode.GatewayTimeout, "within 2 s");

        using HttpResponseMessage big = await PostAsync(_host.Url("/big.png", Allowed));
        await Problems.AssertAsync(big, HttpStatusCode.RequestEntityTooLarge, "100,000 bytes");

        using HttpResponseMessage html = await PostAsync(_host.Url("/page.html", Allowed));
        await Problems.AssertAsync(html, HttpStatusCode.UnsupportedMediaType, "text/html");
    }

    [TestMethod]
    [DataRow("", "empty")]
    [DataRow("not a url", "not an absolute URL")]
    [DataRow("/relative/digit.png", "Only http:// and https://")] // .NET reads an absolute path as a file: URL
    [DataRow("file:///etc/passwd", "Only http:// and https://")]
    [DataRow("ftp://example.org/digit.png", "Only http:// and https://")]
    [DataRow("gopher://127.0.0.1:70/", "Only http:// and https://")]
    public async Task Bad_urls_are_400(string url, string detail)
    {
        using HttpResponseMessage response = await PostAsync(url);
        await Problems.AssertAsync(response, HttpStatusCode.BadRequest, detail);
    }

    [TestMethod]
    public async Task Bad_json_missing_url_and_wrong_content_type_are_problems()
    {
        using HttpResponseMessage broken = await _client.PostAsync("/predict/url", new StringContent("{\"url\":", System.Text.Encoding.UTF8, "application/json"));
        await Problems.AssertAsync(broken, HttpStatusCode.BadRequest, "JSON");

        using HttpResponseMessage noUrl = await _client.PostAsync("/predict/url", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        await Problems.AssertAsync(noUrl, HttpStatusCode.BadRequest, "empty");

        using HttpResponseMessage noBody = await _client.PostAsync("/predict/url", new StringContent("", System.Text.Encoding.UTF8, "application/json"));
        await Problems.AssertAsync(noBody, HttpStatusCode.BadRequest);

        using HttpResponseMessage text = await _client.PostAsync("/predict/url", new StringContent("http://example.org/a.png"));
        await Problems.AssertAsync(text, HttpStatusCode.UnsupportedMediaType, "JSON");
    }

    [TestMethod]
    public async Task Unexpected_failure_is_a_500_problem_without_internals()
    {
        _factory.Names["boom.test"] = () => throw new InvalidOperationException("secret internal state");
        using HttpResponseMessage response = await PostAsync("http://boom.test/digit.png");

        await Problems.AssertAsync(response, HttpStatusCode.InternalServerError, "traceId");
        Assert.DoesNotContain("secret", await response.Content.ReadAsStringAsync());
    }
}

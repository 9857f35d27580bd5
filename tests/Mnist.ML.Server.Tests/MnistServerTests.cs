// The server as a whole (MnistServer.cs): the page, the OpenAPI document, rate limiting, configuration files,
// request logs, and proof that no bad input reaches the 500 handler.
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Mnist.ML.Testing;

namespace Mnist.ML.Server.Tests;

[TestClass]
public sealed class MnistServerTests
{
    [TestMethod]
    public async Task Page_and_its_assets_are_served_at_the_root()
    {
        using var factory = new ServerFactory();
        HttpClient client = factory.CreateClient();

        string html = await client.GetStringAsync("/");
        Assert.Contains("<canvas id=\"pad\"", html);
        Assert.Contains("aria-live=\"polite\"", html);
        using HttpResponseMessage js = await client.GetAsync("/app.js");
        Assert.AreEqual(HttpStatusCode.OK, js.StatusCode);
        Assert.AreEqual("text/javascript", js.Content.Headers.ContentType?.MediaType);
        using HttpResponseMessage css = await client.GetAsync("/app.css");
        Assert.AreEqual("text/css", css.Content.Headers.ContentType?.MediaType);
    }

    [TestMethod]
    public async Task OpenApi_document_lists_every_endpoint()
    {
        using var factory = new ServerFactory();
        HttpClient client = factory.CreateClient();

        using JsonDocument doc = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        JsonElement paths = doc.RootElement.GetProperty("paths");
        foreach (string path in new[] { "/predict", "/uploads", "/predict/url", "/predict/batch", "/model", "/health/live", "/health/ready", "/metrics" })
        {
            Assert.IsTrue(paths.TryGetProperty(path, out _), $"{path} missing from the OpenAPI document");
        }
        Assert.IsTrue(paths.GetProperty("/predict/url").GetProperty("post").GetProperty("responses").TryGetProperty("502", out _));

        // Upload endpoints say where the image goes: multipart field 'file' (binary), or the raw body.
        foreach (string path in new[] { "/predict", "/uploads", "/predict/batch" })
        {
            JsonElement content = paths.GetProperty(path).GetProperty("post").GetProperty("requestBody").GetProperty("content");
            JsonElement form = content.GetProperty("multipart/form-data").GetProperty("schema");
            Assert.AreEqual("file", form.GetProperty("required")[0].GetString(), path);
            JsonElement file = form.GetProperty("properties").GetProperty("file");
            if (path == "/predict/batch") file = file.GetProperty("items");
            Assert.AreEqual("binary", file.GetProperty("format").GetString(), path);
            Assert.AreEqual(path != "/predict/batch", content.TryGetProperty("image/png", out _), path);
        }
    }

    [TestMethod]
    public async Task Http_file_has_a_request_for_every_endpoint()
    {
        string http = await File.ReadAllTextAsync(TestPaths.Combine("src", "Mnist.ML.Server", "Mnist.ML.Server.http"));
        foreach (string request in new[] { "POST {{base}}/predict", "POST {{base}}/uploads", "POST {{base}}/predict/url", "POST {{base}}/predict/batch",
            "GET {{base}}/model", "GET {{base}}/health/live", "GET {{base}}/health/ready", "GET {{base}}/metrics", "GET {{base}}/openapi/v1.json" })
        {
            Assert.Contains(request, http);
        }
    }

    [TestMethod]
    public async Task Requests_over_the_rate_limit_get_429_with_retry_after()
    {
        using var factory = new ServerFactory(new() { ["Mnist:RateLimit:PermitLimit"] = "2", ["Mnist:RateLimit:WindowSeconds"] = "3600" });
        HttpClient client = await factory.CreateReadyClientAsync();

        for (int i = 0; i < 2; i++)
        {
            using HttpResponseMessage allowed = await client.PostAsync("/predict", Problems.Form(("file", "seven.png", TestImages.MnistPng(0))));
            Assert.AreEqual(HttpStatusCode.OK, allowed.StatusCode);
        }
        using HttpResponseMessage limited = await client.PostAsync("/predict", Problems.Form(("file", "seven.png", TestImages.MnistPng(0))));

        await Problems.AssertAsync(limited, HttpStatusCode.TooManyRequests, "limit");
        Assert.IsTrue(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After header");
        using HttpResponseMessage health = await client.GetAsync("/health/live");
        Assert.AreEqual(HttpStatusCode.OK, health.StatusCode, "health and metrics are not rate-limited");
    }

    [TestMethod]
    public async Task Config_file_argument_sets_the_options()
    {
        using var dir = new TempDir();
        string config = dir.File("mnist.json");
        await File.WriteAllTextAsync(config, """{ "Mnist": { "MaxUploadBytes": 1234, "MaxBatchFiles": 3, "UrlFetch": { "AllowedHosts": ["intranet.example"] } } }""");

        await using Microsoft.AspNetCore.Builder.WebApplication app = MnistServer.CreateApp(["--config", config, "--Mnist:MaxBatchFiles=7"]);
        MnistServerOptions options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MnistServerOptions>>().Value;

        Assert.AreEqual(1234, options.MaxUploadBytes, "from the file");
        Assert.AreEqual(7, options.MaxBatchFiles, "the command line wins over the file");
        CollectionAssert.Contains(options.UrlFetch.AllowedHosts, "intranet.example");
    }

    [TestMethod]
    public async Task Each_request_writes_one_log_line_with_route_status_and_digit_but_no_image_bytes()
    {
        using var factory = new ServerFactory();
        HttpClient client = await factory.CreateReadyClientAsync();
        using HttpResponseMessage ok = await client.PostAsync("/predict", Problems.Form(("file", "seven.png", TestImages.MnistPng(0))));
        Assert.AreEqual(HttpStatusCode.OK, ok.StatusCode);

        // The line is written after the response and flushed by a background writer: read until it is there.
        string[] lines = [];
        for (int i = 0; i < 200 && !lines.Any(IsPredictLine); i++)
        {
            await Task.Delay(50);
            lines = [.. Directory.GetFiles(factory.LogFolder, "mnist-server-*.log").SelectMany(ReadShared)];
        }
        string request = lines.Single(IsPredictLine);
        using JsonDocument json = JsonDocument.Parse(request);
        Assert.AreEqual(200, json.RootElement.GetProperty("StatusCode").GetInt32());
        Assert.AreEqual("POST", json.RootElement.GetProperty("Method").GetString());
        Assert.AreEqual(TestImages.MnistLabel(0).ToString(System.Globalization.CultureInfo.InvariantCulture), json.RootElement.GetProperty("Digit").GetString());
        Assert.IsTrue(json.RootElement.TryGetProperty("ElapsedMs", out _));
        string png = Convert.ToBase64String(TestImages.MnistPng(0));
        Assert.IsFalse(lines.Any(l => l.Contains(png[..40], StringComparison.Ordinal)), "image bytes must never be logged");

        static bool IsPredictLine(string line) => line.Contains("\"Route\":\"/predict\"", StringComparison.Ordinal);
        static IEnumerable<string> ReadShared(string path)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    [TestMethod]
    public async Task No_bad_input_reaches_the_500_handler()
    {
        using var factory = new ServerFactory(new() { ["Mnist:MaxUploadBytes"] = "50000" });
        HttpClient client = await factory.CreateReadyClientAsync();
        var random = new Random(1234);
        byte[] png = TestImages.MnistPng(0);
        List<byte[]> bodies = [[], [0], "GIF89a"u8.ToArray(), "BM"u8.ToArray(), [0xFF, 0xD8, 0xFF], png[..8], png[..33], TestImages.HugeDimensionsPng(), new byte[60_000]];
        for (int i = 0; i < 40; i++)
        {
            byte[] flipped = (byte[])png.Clone();
            for (int k = 0; k < 4; k++) flipped[random.Next(8, flipped.Length)] ^= (byte)(1 << random.Next(8));
            bodies.Add(flipped);
            byte[] noise = new byte[random.Next(1, 2000)];
            random.NextBytes(noise);
            bodies.Add(noise);
        }
        var statuses = new List<HttpStatusCode>();
        foreach (byte[] body in bodies)
        {
            foreach (string path in new[] { "/predict", "/predict?debug=true", "/predict/batch" })
            {
                using HttpResponseMessage multipart = await client.PostAsync(path, Problems.Form(("file", "f.png", body)));
                statuses.Add(multipart.StatusCode);
            }
            using HttpResponseMessage raw = await client.PostAsync("/uploads", new ByteArrayContent(body));
            statuses.Add(raw.StatusCode);
        }
        foreach (string json in new[] { "", "{", "[]", "null", "42", "{\"url\": 5}", "{\"url\": null}", "{\"url\": \"\\u0000\"}", "{\"url\": \"http://\"}", "{\"url\": \"http://[::1\"}", "{\"url\": \"https://:0/\"}" })
        {
            using HttpResponseMessage response = await client.PostAsync("/predict/url", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
            statuses.Add(response.StatusCode);
        }
        using (HttpResponseMessage badQuery = await client.PostAsync("/predict?debug=maybe", Problems.Form(("file", "f.png", png))))
        {
            await Problems.AssertAsync(badQuery, HttpStatusCode.BadRequest, "debug");
        }
        using (HttpResponseMessage badBoundary = await client.PostAsync("/predict", new StringContent("--x\r\nbroken", System.Text.Encoding.UTF8, "multipart/form-data")))
        {
            statuses.Add(badBoundary.StatusCode);
        }
        using (HttpResponseMessage wrongMethod = await client.GetAsync("/predict"))
        {
            await Problems.AssertAsync(wrongMethod, HttpStatusCode.MethodNotAllowed);
        }

        Assert.IsFalse(statuses.Any(s => (int)s >= 500), "5xx for: " + string.Join(",", statuses.Where(s => (int)s >= 500)));
        Assert.IsTrue(statuses.All(s => (int)s is 200 or (>= 400 and < 500)));
        string metrics = await client.GetStringAsync("/metrics");
        Assert.DoesNotContain("status=\"500\"", metrics);
    }
}

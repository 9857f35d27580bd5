// GET /metrics: Prometheus text that counts the requests, errors, latencies and digits this server has seen.
using System.Net;

namespace Mnist.ML.Server.Tests.Endpoints;

[TestClass]
public sealed class MetricsEndpointsTests
{
    [TestMethod]
    public async Task Metrics_count_requests_errors_latency_and_predicted_digits()
    {
        using var factory = new ServerFactory();
        HttpClient client = await factory.CreateReadyClientAsync();
        for (int i = 0; i < 2; i++)
        {
            using HttpResponseMessage ok = await client.PostAsync("/predict", Problems.Form(("file", "seven.png", TestImages.MnistPng(0))));
            Assert.AreEqual(HttpStatusCode.OK, ok.StatusCode);
        }
        using HttpResponseMessage bad = await client.PostAsync("/predict", Problems.Form(("file", "x.txt", "text"u8.ToArray())));
        Assert.AreEqual(HttpStatusCode.UnsupportedMediaType, bad.StatusCode);

        using HttpResponseMessage response = await client.GetAsync("/metrics");
        string text = await response.Content.ReadAsStringAsync();

        Assert.AreEqual("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("version=0.0.4", response.Content.Headers.ContentType!.ToString());
        int seven = TestImages.MnistLabel(0);
        string[] lines = text.Split('\n');
        CollectionAssert.Contains(lines, "mnist_http_requests_total{method=\"POST\",route=\"/predict\",status=\"200\"} 2");
        CollectionAssert.Contains(lines, "mnist_http_requests_total{method=\"POST\",route=\"/predict\",status=\"415\"} 1");
        CollectionAssert.Contains(lines, "mnist_http_errors_total{route=\"/predict\",status=\"415\"} 1");
        CollectionAssert.Contains(lines, $"mnist_predictions_total{{digit=\"{seven}\"}} 2");
        CollectionAssert.Contains(lines, "mnist_http_request_duration_seconds_bucket{route=\"/predict\",le=\"+Inf\"} 3");
        CollectionAssert.Contains(lines, "mnist_http_request_duration_seconds_count{route=\"/predict\"} 3");
        CollectionAssert.Contains(lines, "mnist_model_loaded 1");
        CollectionAssert.Contains(lines, "# TYPE mnist_http_request_duration_seconds histogram");
        Assert.IsTrue(lines.Any(l => l.StartsWith("process_resident_memory_bytes ", StringComparison.Ordinal)));

        // Buckets are cumulative: each count is at least the one before.
        long[] buckets = [.. lines.Where(l => l.StartsWith("mnist_http_request_duration_seconds_bucket{route=\"/predict\"", StringComparison.Ordinal))
            .Select(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture))];
        Assert.HasCount(14, buckets);
        for (int i = 1; i < buckets.Length; i++)
        {
            Assert.IsGreaterThanOrEqualTo(buckets[i - 1], buckets[i]);
        }
    }
}

// GET /health/live and /health/ready: live at once, ready only when the model is loaded.
using System.Net;
using System.Net.Http.Json;
using Mnist.ML.Server.Contracts;

namespace Mnist.ML.Server.Tests.Endpoints;

[TestClass]
public sealed class HealthEndpointsTests
{
    [TestMethod]
    public async Task Live_and_ready_are_200_once_the_model_is_loaded()
    {
        using var factory = new ServerFactory();
        HttpClient client = await factory.CreateReadyClientAsync();

        HealthResponse live = (await client.GetFromJsonAsync<HealthResponse>("/health/live"))!;
        HealthResponse ready = (await client.GetFromJsonAsync<HealthResponse>("/health/ready"))!;

        Assert.AreEqual("live", live.Status);
        Assert.AreEqual("ready", ready.Status);
        Assert.IsFalse(string.IsNullOrEmpty(ready.Model));
    }

    [TestMethod]
    public async Task Ready_is_503_with_the_reason_when_the_model_fails_to_load_and_predictions_are_503_too()
    {
        using var factory = new ServerFactory(new() { ["Mnist:ModelPath"] = "/nonexistent/model.onnx" });
        HttpClient client = factory.CreateClient();

        using HttpResponseMessage live = await client.GetAsync("/health/live");
        Assert.AreEqual(HttpStatusCode.OK, live.StatusCode, "live does not depend on the model");

        // The load runs in the background; wait until it has failed (the reason names the path).
        string detail = "";
        for (int i = 0; i < 300 && !detail.Contains("could not be loaded", StringComparison.Ordinal); i++)
        {
            using HttpResponseMessage ready = await client.GetAsync("/health/ready");
            detail = await Problems.AssertAsync(ready, HttpStatusCode.ServiceUnavailable);
            await Task.Delay(100);
        }
        Assert.Contains("/nonexistent/model.onnx", detail);

        using HttpResponseMessage predict = await client.PostAsync("/predict", Problems.Form(("file", "seven.png", TestImages.MnistPng(0))));
        await Problems.AssertAsync(predict, HttpStatusCode.ServiceUnavailable, "could not be loaded");
    }
}

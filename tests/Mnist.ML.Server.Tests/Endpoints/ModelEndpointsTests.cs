// GET /model: the model card of the loaded model.
using System.Net;
using System.Net.Http.Json;
using Mnist.ML.Server.Contracts;

namespace Mnist.ML.Server.Tests.Endpoints;

[TestClass]
public sealed class ModelEndpointsTests
{
    [TestMethod]
    public async Task Model_card_describes_the_embedded_model()
    {
        using var factory = new ServerFactory();
        HttpClient client = await factory.CreateReadyClientAsync();

        using HttpResponseMessage response = await client.GetAsync("/model");

        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        ModelCardResponse card = (await response.Content.ReadFromJsonAsync<ModelCardResponse>())!;
        MnistPredictor expected = MnistPredictor.Load();
        Assert.AreEqual("embedded", card.Source);
        Assert.AreEqual(expected.Model.Name, card.Name);
        Assert.AreEqual(expected.Model.TrainingDataSha256, card.TrainingDataSha256);
        Assert.AreEqual(expected.Model.OpsetVersion, card.OpsetVersion);
        Assert.AreEqual(expected.Model.InputName, card.InputName);
        Assert.AreEqual(expected.Model.OutputName, card.OutputName);
        Assert.AreEqual(expected.Model.TestAccuracy, card.TestAccuracy);
        Assert.IsGreaterThan(0.98, card.TestAccuracy!.Value, "the shipped model's card states its MNIST test accuracy");
    }

    [TestMethod]
    public async Task Model_is_503_when_the_model_cannot_be_loaded()
    {
        using var factory = new ServerFactory(new() { ["Mnist:ModelPath"] = "/nonexistent/model.onnx" });
        HttpClient client = factory.CreateClient();

        using HttpResponseMessage response = await client.GetAsync("/model");

        await Problems.AssertAsync(response, HttpStatusCode.ServiceUnavailable, "model");
    }
}

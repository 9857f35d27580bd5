// POST /predict, /uploads and /predict/batch in-process: real MNIST digits in, the right digit out,
// and a problem-details answer for every kind of bad upload.
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Mnist.ML.Server.Contracts;

namespace Mnist.ML.Server.Tests.Endpoints;

[TestClass]
public sealed class PredictionEndpointsTests
{
    private static ServerFactory _factory = null!;
    private static HttpClient _client = null!;

    [ClassInitialize]
    public static async Task StartAsync(TestContext _)
    {
        _factory = new ServerFactory(new() { ["Mnist:MaxUploadBytes"] = "100000", ["Mnist:MaxRequestBytes"] = "300000", ["Mnist:MaxBatchFiles"] = "4" });
        _client = await _factory.CreateReadyClientAsync();
    }

    [ClassCleanup]
    public static void Stop() => _factory.Dispose();

    [TestMethod]
    public async Task Multipart_upload_returns_the_digit_with_ten_probabilities()
    {
        using HttpResponseMessage response = await _client.PostAsync("/predict", Problems.Form(("file", "seven.png", TestImages.MnistPng(0))));

        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
        PredictionResponse p = (await response.Content.ReadFromJsonAsync<PredictionResponse>())!;
        Assert.AreEqual(TestImages.MnistLabel(0), p.Digit);
        Assert.HasCount(10, p.Probabilities);
        Assert.AreEqual(1.0, p.Probabilities.Sum(), 1e-4);
        Assert.AreEqual(p.Probabilities.Max(), p.Confidence);
        Assert.IsGreaterThanOrEqualTo(0.0, p.ElapsedMs);
        Assert.IsFalse(string.IsNullOrEmpty(p.Model));
        Assert.IsNull(p.ModelInput, "the 28x28 input is only sent with ?debug=true");
    }

    [TestMethod]
    public async Task Raw_body_any_content_type_and_the_uploads_alias_give_the_same_answer()
    {
        byte[] png = TestImages.MnistPng(1);
        using var raw = new ByteArrayContent(png);
        raw.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using HttpResponseMessage viaBody = await _client.PostAsync("/predict", raw);
        using HttpResponseMessage viaAlias = await _client.PostAsync("/uploads", Problems.Form(("file", "two.png", png)));

        // curl --data-binary @digit.png without -H sends Content-Type application/x-www-form-urlencoded.
        using var curlDefault = new ByteArrayContent(png);
        curlDefault.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        using HttpResponseMessage viaCurlDefault = await _client.PostAsync("/predict", curlDefault);

        PredictionResponse a = (await viaBody.Content.ReadFromJsonAsync<PredictionResponse>())!;
        PredictionResponse b = (await viaAlias.Content.ReadFromJsonAsync<PredictionResponse>())!;
        Assert.AreEqual(HttpStatusCode.OK, viaCurlDefault.StatusCode, await viaCurlDefault.Content.ReadAsStringAsync());
        PredictionResponse c = (await viaCurlDefault.Content.ReadFromJsonAsync<PredictionResponse>())!;
        Assert.AreEqual(TestImages.MnistLabel(1), a.Digit);
        Assert.AreEqual(a.Digit, b.Digit);
        CollectionAssert.AreEqual(a.Probabilities, b.Probabilities);
        CollectionAssert.AreEqual(a.Probabilities, c.Probabilities);
    }

    [TestMethod]
    public async Task Debug_adds_the_28x28_model_input_as_a_png_data_url()
    {
        using HttpResponseMessage response = await _client.PostAsync("/predict?debug=true", Problems.Form(("file", "seven.png", TestImages.MnistPng(0))));

        PredictionResponse p = (await response.Content.ReadFromJsonAsync<PredictionResponse>())!;
        const string prefix = "data:image/png;base64,";
        Assert.IsNotNull(p.ModelInput);
        Assert.StartsWith(prefix, p.ModelInput);
        byte[] png = Convert.FromBase64String(p.ModelInput[prefix.Length..]);
        Assert.AreEqual(28, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), "width");
        Assert.AreEqual(28, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)), "height");
    }

    [TestMethod]
    public async Task Missing_file_field_is_400_naming_the_field()
    {
        using HttpResponseMessage wrongField = await _client.PostAsync("/predict", Problems.Form(("image", "seven.png", TestImages.MnistPng(0))));
        await Problems.AssertAsync(wrongField, HttpStatusCode.BadRequest, "'file'");

        using var noFiles = new MultipartFormDataContent { { new StringContent("x"), "comment" } };
        using HttpResponseMessage empty = await _client.PostAsync("/predict", noFiles);
        await Problems.AssertAsync(empty, HttpStatusCode.BadRequest, "no file");
    }

    [TestMethod]
    public async Task Empty_body_is_400_saying_how_to_send_an_image()
    {
        using HttpResponseMessage response = await _client.PostAsync("/predict", new ByteArrayContent([]));
        await Problems.AssertAsync(response, HttpStatusCode.BadRequest, "curl");
    }

    [TestMethod]
    public async Task Oversized_upload_is_413_as_multipart_and_as_raw_body()
    {
        byte[] big = new byte[150_000];
        TestImages.MnistPng(0).CopyTo(big, 0);
        using HttpResponseMessage multipart = await _client.PostAsync("/predict", Problems.Form(("file", "big.png", big)));
        await Problems.AssertAsync(multipart, HttpStatusCode.RequestEntityTooLarge, "100,000");

        using HttpResponseMessage raw = await _client.PostAsync("/predict", new ByteArrayContent(big));
        await Problems.AssertAsync(raw, HttpStatusCode.RequestEntityTooLarge, "limit");
    }

    [TestMethod]
    public async Task Corrupt_and_non_image_uploads_are_415()
    {
        using HttpResponseMessage truncated = await _client.PostAsync("/predict", Problems.Form(("file", "cut.png", TestImages.TruncatedPng())));
        await Problems.AssertAsync(truncated, HttpStatusCode.UnsupportedMediaType, "PNG");

        using HttpResponseMessage text = await _client.PostAsync("/predict", Problems.Form(("file", "notes.txt", "hello, not an image"u8.ToArray())));
        await Problems.AssertAsync(text, HttpStatusCode.UnsupportedMediaType, "Supported: PNG, JPEG, BMP, GIF");

        using HttpResponseMessage huge = await _client.PostAsync("/predict", Problems.Form(("file", "huge.png", TestImages.HugeDimensionsPng())));
        Assert.IsTrue(huge.StatusCode is HttpStatusCode.UnsupportedMediaType, await huge.Content.ReadAsStringAsync());
    }

    [TestMethod]
    public async Task Blank_image_is_422()
    {
        using HttpResponseMessage response = await _client.PostAsync("/predict", Problems.Form(("file", "blank.png", TestImages.BlankPng())));
        await Problems.AssertAsync(response, HttpStatusCode.UnprocessableEntity, "no ink");
    }

    [TestMethod]
    public async Task Batch_returns_every_file_in_order()
    {
        int[] indices = [0, 1, 2, 3];
        using HttpResponseMessage response = await _client.PostAsync("/predict/batch?debug=true",
            Problems.Form([.. indices.Select(i => ("file", $"digit{i}.png", TestImages.MnistPng(i)))]));

        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
        BatchPredictionResponse batch = (await response.Content.ReadFromJsonAsync<BatchPredictionResponse>())!;
        Assert.HasCount(indices.Length, batch.Results);
        for (int i = 0; i < indices.Length; i++)
        {
            Assert.AreEqual(i, batch.Results[i].Index);
            Assert.AreEqual($"digit{i}.png", batch.Results[i].FileName);
            Assert.AreEqual(TestImages.MnistLabel(indices[i]), batch.Results[i].Digit, $"file {i}");
            Assert.IsNotNull(batch.Results[i].ModelInput);
        }
    }

    [TestMethod]
    public async Task Batch_errors_are_problems_that_name_the_file()
    {
        using HttpResponseMessage none = await _client.PostAsync("/predict/batch", new MultipartFormDataContent { { new StringContent("x"), "comment" } });
        await Problems.AssertAsync(none, HttpStatusCode.BadRequest, "no files");

        using HttpResponseMessage tooMany = await _client.PostAsync("/predict/batch",
            Problems.Form([.. Enumerable.Range(0, 5).Select(i => ("file", $"d{i}.png", TestImages.MnistPng(i)))]));
        await Problems.AssertAsync(tooMany, HttpStatusCode.BadRequest, "at most 4");

        using HttpResponseMessage corrupt = await _client.PostAsync("/predict/batch",
            Problems.Form(("file", "ok.png", TestImages.MnistPng(0)), ("file", "broken.png", TestImages.TruncatedPng())));
        await Problems.AssertAsync(corrupt, HttpStatusCode.UnsupportedMediaType, "broken.png");

        using HttpResponseMessage blank = await _client.PostAsync("/predict/batch",
            Problems.Form(("file", "ok.png", TestImages.MnistPng(0)), ("file", "blank.png", TestImages.BlankPng())));
        await Problems.AssertAsync(blank, HttpStatusCode.UnprocessableEntity, "Image 1 of the batch");

        byte[] large = new byte[90_000]; // each file under the 100,000-byte upload limit, together over the 300,000-byte request limit
        TestImages.MnistPng(0).CopyTo(large, 0);
        using HttpResponseMessage overRequest = await _client.PostAsync("/predict/batch",
            Problems.Form([.. Enumerable.Range(0, 4).Select(i => ("file", $"d{i}.png", large))]));
        await Problems.AssertAsync(overRequest, HttpStatusCode.RequestEntityTooLarge, "limit");

        using HttpResponseMessage raw = await _client.PostAsync("/predict/batch", new ByteArrayContent(TestImages.MnistPng(0)));
        await Problems.AssertAsync(raw, HttpStatusCode.UnsupportedMediaType, "multipart");
    }
}

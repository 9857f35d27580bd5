// Assertions on RFC 7807 responses: the status, a problem+json body with a useful detail, no stack trace.
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Mnist.ML.Server.Tests;

internal static class Problems
{
    /// <summary>Asserts the response is problem details with <paramref name="status"/>; returns its detail.</summary>
    public static async Task<string> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string? detailContains = null)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(status, response.StatusCode, body);
        Assert.AreEqual("application/problem+json", response.Content.Headers.ContentType?.MediaType, body);
        using JsonDocument json = JsonDocument.Parse(body);
        JsonElement root = json.RootElement;
        Assert.AreEqual((int)status, root.GetProperty("status").GetInt32(), body);
        Assert.IsFalse(string.IsNullOrWhiteSpace(root.GetProperty("title").GetString()), body);
        string detail = root.TryGetProperty("detail", out JsonElement d) ? d.GetString() ?? "" : "";
        if (status != HttpStatusCode.NotFound && status != HttpStatusCode.MethodNotAllowed)
        {
            Assert.IsFalse(string.IsNullOrWhiteSpace(detail), $"problem without a detail: {body}");
        }
        if (detailContains is not null)
        {
            Assert.Contains(detailContains, detail, StringComparison.OrdinalIgnoreCase, body);
        }
        Assert.DoesNotContain(" at Mnist.", body, StringComparison.Ordinal, "stack trace leaked");
        Assert.DoesNotContain(" at System.", body, StringComparison.Ordinal, "stack trace leaked");
        return detail;
    }

    public static MultipartFormDataContent Form(params (string Field, string FileName, byte[] Bytes)[] files)
    {
        var form = new MultipartFormDataContent();
        foreach (var (field, fileName, bytes) in files)
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
            form.Add(content, field, fileName);
        }
        return form;
    }

    public static Task<T?> ReadAsync<T>(HttpResponseMessage response) => response.Content.ReadFromJsonAsync<T>();
}

// The server in-process for tests: WebApplicationFactory<Program> with settings per test class, the model
// embedded in Mnist.ML, logs in a temp folder, and a name resolver that gives the loopback test host an allow-listed name.
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mnist.ML.Net;

namespace Mnist.ML.Server.Tests;

internal sealed class ServerFactory : WebApplicationFactory<Program>
{
    /// <summary>The allow-listed name tests use for the loopback image host (resolved to 127.0.0.1 by the test resolver).</summary>
    public const string ImageHostName = "images.test";

    private readonly Dictionary<string, string?> _settings;
    private readonly string _logs = Path.Combine(Path.GetTempPath(), "mnist-server-tests-logs-" + Guid.NewGuid().ToString("N"));

    public ServerFactory(Dictionary<string, string?>? settings = null)
    {
        _settings = new Dictionary<string, string?>
        {
            ["Mnist:LogFolder"] = _logs,
            ["Mnist:RateLimit:PermitLimit"] = "100000",
            ["Mnist:UrlFetch:AllowedHosts:0"] = ImageHostName,
            ["Mnist:UrlFetch:TimeoutSeconds"] = "5",
        };
        foreach (var (key, value) in settings ?? [])
        {
            _settings[key] = value;
        }
    }

    /// <summary>The folder the server writes its rolling log files to.</summary>
    public string LogFolder => _logs;

    /// <summary>How many times the fetcher resolved <see cref="ImageHostName"/>.</summary>
    public int ImageHostResolutions => _resolutions;

    private int _resolutions;

    /// <summary>Extra names the test resolver answers; anything else goes to the system resolver.</summary>
    public Dictionary<string, Func<IPAddress[]>> Names { get; } = new(StringComparer.OrdinalIgnoreCase)
    {
        [ImageHostName] = () => [IPAddress.Loopback],
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton(sp => new SafeImageFetcher(
                sp.GetRequiredService<IOptions<MnistServerOptions>>().Value.UrlFetch.ToFetchOptions() with { Resolve = ResolveAsync }));
        });
    }

    private Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        if (Names.TryGetValue(host, out Func<IPAddress[]>? answer))
        {
            if (string.Equals(host, ImageHostName, StringComparison.OrdinalIgnoreCase))
            {
                Interlocked.Increment(ref _resolutions);
            }
            return Task.FromResult(answer());
        }
        return Dns.GetHostAddressesAsync(host, ct);
    }

    /// <summary>Creates a client and waits until the model is loaded (GET /health/ready is 200).</summary>
    public async Task<HttpClient> CreateReadyClientAsync()
    {
        HttpClient client = CreateClient();
        for (int i = 0; i < 600; i++)
        {
            using HttpResponseMessage ready = await client.GetAsync("/health/ready");
            if (ready.StatusCode == HttpStatusCode.OK)
            {
                return client;
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException("The server did not become ready within 60 s: " + await client.GetStringAsync("/health/ready"));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        try
        {
            Directory.Delete(_logs, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

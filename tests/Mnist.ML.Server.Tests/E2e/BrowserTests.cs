// End to end in a real browser: starts the real server process (dotnet Mnist.ML.Server.dll --urls ...), a
// loopback image host, and page.e2e.mjs in Debian's Chromium via playwright-core; checks what the page shows.
// Screenshots land in artifacts/e2e/. Fails loudly when chromium, node or playwright-core is missing.
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;
using Mnist.ML.Testing;

namespace Mnist.ML.Server.Tests.E2e;

[TestClass]
public sealed class BrowserTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public async Task Page_recognises_a_drawn_an_uploaded_and_a_fetched_digit_in_chromium()
    {
        string playwright = RequireTools();
        using var temp = new TempDir();
        string upload = temp.File("seven.png");
        await File.WriteAllBytesAsync(upload, TestImages.MnistPng(0));
        using var images = new LoopbackImageHost(new() { ["/two.png"] = LoopbackImageHost.Bytes(TestImages.MnistPng(1)) });
        string shots = TestPaths.Combine("artifacts", "e2e");

        using ServerProcess server = await ServerProcess.StartAsync(temp.File("logs"), allowedHost: "127.0.0.1");
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "E2e", "page.e2e.mjs"));
        info.Environment["BASE_URL"] = server.BaseUrl;
        info.Environment["UPLOAD_FILE"] = upload;
        info.Environment["IMAGE_URL"] = images.Url("/two.png");
        info.Environment["PRIVATE_URL"] = "http://169.254.169.254/latest/meta-data/";
        info.Environment["SHOTS"] = shots;
        info.Environment["PLAYWRIGHT_DIR"] = playwright;
        (int exit, string stdout, string stderr) = await RunAsync(info, TimeSpan.FromMinutes(3));
        foreach (string shot in Directory.GetFiles(shots, "*.png"))
        {
            TestContext.AddResultFile(shot);
        }
        Assert.AreEqual(0, exit, $"page.e2e.mjs failed:\n{stdout}\n{stderr}\nserver:\n{server.Output}");

        using JsonDocument json = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]);
        JsonElement r = json.RootElement;
        string Digit(string step) => r.GetProperty(step).GetProperty("digit").GetString() ?? "error: " + r.GetProperty(step).GetProperty("error").GetString();
        Assert.AreEqual("polite", r.GetProperty("liveRegion").GetString());
        Assert.Contains("Draw one digit", r.GetProperty("canvasLabel").GetString()!);
        Assert.AreEqual("7", Digit("drawn"), "the digit drawn with the mouse");
        Assert.AreEqual(10, r.GetProperty("drawn").GetProperty("bars").GetInt32(), "ten probability bars");
        double fill = r.GetProperty("drawn").GetProperty("bestBarFill").GetDouble();
        double confidence = r.GetProperty("drawn").GetProperty("confidence").GetDouble() / 100;
        Assert.AreEqual(confidence, fill, 0.02, "the winning digit's bar is drawn as wide as its probability");
        Assert.IsTrue(r.GetProperty("drawn").GetProperty("modelInput").GetBoolean(), "the 28x28 input is shown");
        Assert.AreEqual(JsonValueKind.Null, r.GetProperty("clearedDigit").ValueKind, "Clear removes the answer");
        Assert.AreEqual(TestImages.MnistLabel(0).ToString(System.Globalization.CultureInfo.InvariantCulture), Digit("upload"));
        Assert.AreEqual(TestImages.MnistLabel(1).ToString(System.Globalization.CultureInfo.InvariantCulture), Digit("url"));
        Assert.Contains("Refused", r.GetProperty("refused").GetProperty("error").GetString()!);
        Assert.AreEqual(TestImages.MnistLabel(0).ToString(System.Globalization.CultureInfo.InvariantCulture), Digit("phone"));
        Assert.IsFalse(r.GetProperty("phoneOverflow").GetBoolean(), "no horizontal scrolling on a 390 px phone");
        foreach (string name in new[] { "1-drawn.png", "2-upload.png", "3-url.png", "4-refused.png", "5-phone.png" })
        {
            Assert.IsTrue(File.Exists(Path.Combine(shots, name)), name);
        }
    }

    /// <summary>Chromium, node and playwright-core, or a failure that says how to install them.</summary>
    private static string RequireTools()
    {
        if (!File.Exists("/usr/bin/chromium"))
        {
            Assert.Fail("/usr/bin/chromium not found: apt-get install -y chromium (scripts/install-test-deps.sh does).");
        }
        string dir = TestPaths.Combine("tools", "node");
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "playwright-core")))
        {
            Assert.Fail($"playwright-core not found in {dir}/node_modules: run npm ci there (scripts/install-test-deps.sh does).");
        }
        if (!(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(p => File.Exists(Path.Combine(p, "node"))))
        {
            Assert.Fail("node not found on PATH: apt-get install -y nodejs.");
        }
        return dir;
    }

    internal static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(ProcessStartInfo info, TimeSpan timeout)
    {
        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>The real server, started as `dotnet Mnist.ML.Server.dll --urls http://127.0.0.1:PORT`, stopped on Dispose.</summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private ServerProcess(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
        process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string BaseUrl { get; }

    public int ProcessId => _process.Id;

    public string Output { get { lock (_output) { return _output.ToString(); } } }

    public static string ServerDll
    {
        get
        {
            string configuration = typeof(ServerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            string dll = TestPaths.Combine("src", "Mnist.ML.Server", "bin", configuration, "net10.0", "Mnist.ML.Server.dll");
            return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} not found; build the solution first.");
        }
    }

    public static async Task<ServerProcess> StartAsync(string logFolder, string? allowedHost = null)
    {
        int port = FreePort();
        string url = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { ServerDll, "--urls", url, $"--Mnist:LogFolder={logFolder}", "--Mnist:RateLimit:PermitLimit=100000" })
        {
            info.ArgumentList.Add(arg);
        }
        if (allowedHost is not null)
        {
            info.ArgumentList.Add($"--Mnist:UrlFetch:AllowedHosts:0={allowedHost}");
        }
        var server = new ServerProcess(Process.Start(info)!, url);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (int i = 0; i < 600; i++)
        {
            if (server._process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with {server._process.ExitCode}:\n{server.Output}");
            }
            try
            {
                using HttpResponseMessage ready = await http.GetAsync(url + "/health/ready");
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100);
        }
        server.Dispose();
        throw new InvalidOperationException($"The server at {url} was not ready within 60 s:\n{server.Output}");
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }
}

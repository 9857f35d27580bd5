// `mnist data info` and `mnist data fetch` against the real data, a loopback mirror and no network.
using Mnist.ML.Testing;

namespace Mnist.ML.Cli.Tests.Commands;

[TestClass]
public sealed class DataCommandsTests
{
    [TestMethod]
    public async Task InfoPrintsCountsBalanceAndCanonicalHashes()
    {
        CliResult result = await CliProcess.RunAsync(["data", "info", "--dir", TestPaths.MnistDir]);

        Assert.AreEqual(0, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stdout, "train: 60000 images");
        StringAssert.Contains(result.Stdout, "test: 10000 images");
        StringAssert.Contains(result.Stdout, "1:   1135  11.35%");
        StringAssert.Contains(result.Stdout, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  matches canonical");
        Assert.AreEqual(4, result.Stdout.Split("matches canonical").Length - 1, result.ToString());
        Assert.AreEqual("", result.Stderr);
    }

    [TestMethod]
    public async Task InfoOnMissingFolderIsExit3OneLine()
    {
        CliResult result = await CliProcess.RunAsync(["data", "info", "--dir", "/nonexistent/mnist"]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
        StringAssert.Contains(result.Stderr, "/nonexistent/mnist");
    }

    [TestMethod]
    public async Task InfoOnTruncatedFileIsExit3NamingIt()
    {
        using var dir = new TempDir();
        foreach (string name in new[] { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" })
        {
            File.Copy(Path.Combine(TestPaths.MnistDir, name), dir.File(name));
        }
        byte[] images = File.ReadAllBytes(dir.File("t10k-images-idx3-ubyte"));
        File.WriteAllBytes(dir.File("t10k-images-idx3-ubyte"), images[..5000]);

        CliResult result = await CliProcess.RunAsync(["data", "info", "--dir", dir.Path]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
        StringAssert.Contains(result.Stderr, "t10k-images-idx3-ubyte: truncated");
    }

    [TestMethod]
    public async Task VerboseAddsTheStackTrace()
    {
        CliResult result = await CliProcess.RunAsync(["data", "info", "--dir", "/nonexistent/mnist", "--verbose"]);

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        StringAssert.Contains(result.Stderr, "   at ");
    }

    [TestMethod]
    public async Task FetchFromLoopbackMirrorThenInfoMatches()
    {
        using var mirror = LoopbackMirror.RealMnist();
        using var dir = new TempDir();
        var env = new Dictionary<string, string> { ["MNIST_MIRRORS"] = mirror.BaseUri.ToString() };

        CliResult fetch = await CliProcess.RunAsync(["data", "fetch", "--dir", dir.Path], env);
        CliResult again = await CliProcess.RunAsync(["data", "fetch", "--dir", dir.Path], env);
        CliResult info = await CliProcess.RunAsync(["data", "info", "--dir", dir.Path]);

        Assert.AreEqual(0, fetch.ExitCode, fetch.ToString());
        StringAssert.Contains(fetch.Stdout, "t10k-labels-idx1-ubyte: done (SHA-256 verified)", fetch.ToString());
        Assert.AreEqual(0, again.ExitCode, again.ToString());
        Assert.AreEqual(4, again.Stdout.Split("already present").Length - 1, again.ToString());
        Assert.AreEqual(0, info.ExitCode, info.ToString());
        Assert.AreEqual(4, info.Stdout.Split("matches canonical").Length - 1, info.ToString());
    }

    [TestMethod]
    public async Task FetchWithUnreachableMirrorIsExit4OneLinePointingToScript()
    {
        CliResult result = await FetchFromAsync($"http://127.0.0.1:{LoopbackMirror.ClosedPort()}/mnist/");

        Assert.AreEqual(4, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
        StringAssert.Contains(result.Stderr, "scripts/fetch-mnist.sh");
    }

    [TestMethod]
    public async Task FetchFromCorruptMirrorIsExit3()
    {
        using var mirror = new LoopbackMirror(_ => LoopbackMirror.Gzip([0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28]));

        CliResult result = await FetchFromAsync(mirror.BaseUri.ToString());

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
        StringAssert.Contains(result.Stderr, "SHA-256");
    }

    [TestMethod]
    public async Task CtrlCDuringFetchIsExit130()
    {
        using var requested = new SemaphoreSlim(0);
        using var release = new ManualResetEventSlim();
        // A mirror that accepts the request and then never answers, so the fetch is in flight.
        using var mirror = new LoopbackMirror(_ =>
        {
            requested.Release();
            release.Wait(TimeSpan.FromMinutes(3));
            return null;
        });
        using var dir = new TempDir();
        var env = new Dictionary<string, string> { ["MNIST_MIRRORS"] = mirror.BaseUri.ToString() };
        try
        {
            CliResult result = await CliProcess.RunAsync(["data", "fetch", "--dir", dir.Path], env, async pid =>
            {
                Assert.IsTrue(await requested.WaitAsync(TimeSpan.FromMinutes(2)), "the CLI never reached the mirror");
                await CliProcess.InterruptAsync(pid);
            });

            Assert.AreEqual(130, result.ExitCode, result.ToString());
            MnistCliTests.AssertOneErrorLine(result);
            StringAssert.Contains(result.Stderr, "cancelled");
        }
        finally
        {
            release.Set();
        }
    }

    [TestMethod]
    public async Task BadMirrorVariableIsExit3()
    {
        CliResult result = await FetchFromAsync("ftp://example/");

        Assert.AreEqual(3, result.ExitCode, result.ToString());
        MnistCliTests.AssertOneErrorLine(result);
        StringAssert.Contains(result.Stderr, "MNIST_MIRRORS");
    }

    /// <summary>Runs 'mnist data fetch' into a fresh folder with MNIST_MIRRORS set to <paramref name="mirrors"/>.</summary>
    private static async Task<CliResult> FetchFromAsync(string mirrors)
    {
        using var dir = new TempDir();
        return await CliProcess.RunAsync(["data", "fetch", "--dir", dir.Path], new Dictionary<string, string> { ["MNIST_MIRRORS"] = mirrors });
    }
}

// The MNIST downloader against a loopback mirror: real files, corrupted files, fallbacks, offline.
using Mnist.ML.Testing;
using Mnist.ML.Trainer.Data;

namespace Mnist.ML.Trainer.Tests.Data;

[TestClass]
public sealed class MnistDownloaderTests
{
    [TestMethod]
    public async Task DownloadsVerifiesAndThenSkipsPresentFiles()
    {
        using var mirror = LoopbackMirror.RealMnist();
        using var dir = new TempDir();
        var options = new MnistDownloadOptions { Mirrors = [mirror.BaseUri] };
        var states = new List<MnistDownloadProgress>();

        await MnistDownloader.DownloadAsync(dir.Path, options, new SyncProgress(states.Add));

        foreach (string name in MnistFiles.All)
        {
            CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(TestPaths.MnistDir, name)), File.ReadAllBytes(dir.File(name)), name);
        }
        CollectionAssert.AreEqual(MnistFiles.All.ToList(), states.Where(p => p.State == MnistDownloadState.Completed).Select(p => p.FileName).ToList());
        Assert.IsTrue(states.Any(p => p.State == MnistDownloadState.Downloading && p.TotalBytes > 0));
        Assert.IsEmpty(Directory.GetFiles(dir.Path, "*.download"));
        Assert.AreEqual(10000, MnistDataset.LoadTest(dir.Path).Count);

        int requests = mirror.Requests;
        states.Clear();
        await MnistDownloader.DownloadAsync(dir.Path, options, new SyncProgress(states.Add));

        Assert.AreEqual(requests, mirror.Requests, "a second download must not fetch files already present");
        Assert.IsTrue(states.All(p => p.State == MnistDownloadState.AlreadyPresent));
        Assert.HasCount(4, states);
    }

    [TestMethod]
    public async Task CorruptedFileIsAHashErrorAndLeavesNothingBehind()
    {
        using var mirror = new LoopbackMirror(name =>
        {
            byte[] labels = File.ReadAllBytes(Path.Combine(TestPaths.MnistDir, MnistFiles.TrainLabels));
            labels[100] ^= 1; // one label changed: still a valid IDX file, but not MNIST
            return LoopbackMirror.Gzip(labels);
        });
        using var dir = new TempDir();
        CopyReal(dir, MnistFiles.TrainImages);

        var e = await Assert.ThrowsAsync<MnistDownloadException>(() =>
            MnistDownloader.DownloadAsync(dir.Path, new MnistDownloadOptions { Mirrors = [mirror.BaseUri] }));

        Assert.IsFalse(e.IsNetworkError);
        StringAssert.Contains(e.Message, MnistFiles.TrainLabels);
        StringAssert.Contains(e.Message, "SHA-256");
        StringAssert.Contains(e.Message, MnistFiles.Sha256[MnistFiles.TrainLabels]);
        Assert.IsFalse(File.Exists(dir.File(MnistFiles.TrainLabels)));
        Assert.IsEmpty(Directory.GetFiles(dir.Path, "*.download"));
    }

    [TestMethod]
    public async Task NotGzipIsAContentError()
    {
        var e = await FailingDownloadAsync(_ => "<html>captive portal</html>"u8.ToArray());

        Assert.IsFalse(e.IsNetworkError);
        StringAssert.Contains(e.Message, "not a valid gzip file");
    }

    [TestMethod]
    public async Task FallsBackToNextMirrorAndRedownloadsInvalidFiles()
    {
        using var mirror = LoopbackMirror.RealMnist();
        using var dir = new TempDir();
        CopyReal(dir, MnistFiles.TrainImages);
        CopyReal(dir, MnistFiles.TrainLabels);
        CopyReal(dir, MnistFiles.TestImages);
        File.WriteAllBytes(dir.File(MnistFiles.TestLabels), [1, 2, 3]); // stale, invalid
        var unreachable = new Uri($"http://127.0.0.1:{LoopbackMirror.ClosedPort()}/mnist/");

        await MnistDownloader.DownloadAsync(dir.Path, new MnistDownloadOptions { Mirrors = [unreachable, mirror.BaseUri] });

        Assert.AreEqual(MnistFiles.Sha256[MnistFiles.TestLabels], await MnistFiles.ComputeSha256Async(dir.File(MnistFiles.TestLabels)));
        Assert.AreEqual(1, mirror.Requests, "only the invalid file is fetched");
    }

    [TestMethod]
    public async Task UnreachableMirrorsFailWithOfflineHint()
    {
        using var dir = new TempDir();
        var options = new MnistDownloadOptions
        {
            Mirrors = [new Uri($"http://127.0.0.1:{LoopbackMirror.ClosedPort()}/mnist/"), new Uri($"http://127.0.0.1:{LoopbackMirror.ClosedPort()}/other/")],
            ConnectTimeout = TimeSpan.FromSeconds(2),
        };

        var e = await Assert.ThrowsAsync<MnistDownloadException>(() => MnistDownloader.DownloadAsync(dir.Path, options));

        Assert.IsTrue(e.IsNetworkError);
        StringAssert.Contains(e.Message, "scripts/fetch-mnist.sh");
        StringAssert.Contains(e.Message, "/mnist/train-images-idx3-ubyte.gz");
        StringAssert.Contains(e.Message, "/other/train-images-idx3-ubyte.gz");
        Assert.IsEmpty(Directory.GetFiles(dir.Path));
    }

    [TestMethod]
    public async Task HttpErrorIsANetworkErrorNamingTheStatus()
    {
        var e = await FailingDownloadAsync(_ => null);

        Assert.IsTrue(e.IsNetworkError);
        StringAssert.Contains(e.Message, "HTTP 404");
    }

    [TestMethod]
    public async Task CancellationStopsTheDownload()
    {
        using var mirror = LoopbackMirror.RealMnist();
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        // Cancel as soon as the first bytes arrive.
        var progress = new SyncProgress(p => { if (p.State == MnistDownloadState.Downloading) { cts.Cancel(); } });

        await Assert.ThrowsAsync<OperationCanceledException>(() =>
            MnistDownloader.DownloadAsync(dir.Path, new MnistDownloadOptions { Mirrors = [mirror.BaseUri] }, progress, cts.Token));

        Assert.IsEmpty(Directory.GetFiles(dir.Path));
    }

    /// <summary>Downloads into a fresh folder from a mirror serving <paramref name="files"/>, expecting failure.</summary>
    private static async Task<MnistDownloadException> FailingDownloadAsync(Func<string, byte[]?> files)
    {
        using var mirror = new LoopbackMirror(files);
        using var dir = new TempDir();
        var e = await Assert.ThrowsAsync<MnistDownloadException>(() =>
            MnistDownloader.DownloadAsync(dir.Path, new MnistDownloadOptions { Mirrors = [mirror.BaseUri] }));
        Assert.IsEmpty(Directory.GetFiles(dir.Path), "a failed download leaves nothing behind");
        return e;
    }

    private static void CopyReal(TempDir dir, string name) => File.Copy(Path.Combine(TestPaths.MnistDir, name), dir.File(name));

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and race the assertions).</summary>
    private sealed class SyncProgress(Action<MnistDownloadProgress> report) : IProgress<MnistDownloadProgress>
    {
        public void Report(MnistDownloadProgress value) => report(value);
    }
}

// A tiny HTTP server on 127.0.0.1 standing in for an MNIST mirror in download tests: serves
// /mnist/<file>.gz from a function (real MNIST gzipped on the fly, or broken content on purpose).
using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;

namespace Mnist.ML.Testing;

internal sealed class LoopbackMirror : IDisposable
{
    private static readonly ConcurrentDictionary<string, Lazy<byte[]>> GzCache = new();

    private readonly HttpListener _listener = new();
    private readonly Func<string, byte[]?> _files;
    private int _requests;

    /// <param name="files">Body for a requested file name (e.g. "t10k-labels-idx1-ubyte.gz"), or null for 404.</param>
    public LoopbackMirror(Func<string, byte[]?> files)
    {
        _files = files;
        int port = ClosedPort();
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        BaseUri = new Uri($"http://127.0.0.1:{port}/mnist/");
        _ = Task.Run(ServeAsync);
    }

    /// <summary>The mirror's base URL, http://127.0.0.1:PORT/mnist/.</summary>
    public Uri BaseUri { get; }

    /// <summary>Requests answered so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>A mirror serving the real MNIST files from <see cref="TestPaths.MnistDir"/>, gzipped.</summary>
    public static LoopbackMirror RealMnist() => new(name => name.EndsWith(".gz", StringComparison.Ordinal) ? RealGz(name[..^3]) : null);

    /// <summary>data/mnist/<paramref name="name"/> gzipped (cached for the test run).</summary>
    public static byte[] RealGz(string name) =>
        GzCache.GetOrAdd(name, n => new Lazy<byte[]>(() => Gzip(File.ReadAllBytes(Path.Combine(TestPaths.MnistDir, n))))).Value;

    public static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(content);
        }
        return output.ToArray();
    }

    /// <summary>A loopback port nothing listens on (taken from the OS, then released).</summary>
    public static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    public void Dispose() => _listener.Close();

    private async Task ServeAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // listener closed
            }
            Interlocked.Increment(ref _requests);
            try
            {
                string path = context.Request.Url!.AbsolutePath;
                byte[]? body = path.StartsWith("/mnist/", StringComparison.Ordinal) ? _files(path["/mnist/".Length..]) : null;
                if (body is null)
                {
                    context.Response.StatusCode = 404;
                }
                else
                {
                    context.Response.ContentType = "application/gzip";
                    context.Response.ContentLength64 = body.Length;
                    await context.Response.OutputStream.WriteAsync(body);
                }
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
                // The client went away (e.g. a cancelled download); keep serving.
            }
        }
    }
}

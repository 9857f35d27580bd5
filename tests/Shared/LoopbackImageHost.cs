// A tiny HTTP/1.1 server on 127.0.0.1 standing in for an image host in URL tests (any Host header, so an
// allow-listed test name can point at it): each path gives a canned reply — an image, a redirect to a
// private address, a slow or huge body. Counts the requests it receives. Also used by the browser test.
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mnist.ML.Testing;

/// <summary>What the host answers for one path.</summary>
internal sealed record Reply(int Status, byte[] Body, string ContentType = "application/octet-stream", string? Location = null, TimeSpan Delay = default);

internal sealed class LoopbackImageHost : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Dictionary<string, Reply> _routes;
    private readonly CancellationTokenSource _stop = new();
    private int _requests;

    public LoopbackImageHost(Dictionary<string, Reply> routes)
    {
        _routes = routes;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    /// <summary>Requests received so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The URL of <paramref name="path"/> under <paramref name="host"/> (a name the test resolver maps to 127.0.0.1, or 127.0.0.1).</summary>
    public string Url(string path, string host = "127.0.0.1") => $"http://{host}:{Port}{path}";

    public static Reply Bytes(byte[] body, string contentType = "image/png") => new(200, body, contentType);

    public static Reply Redirect(string location, int status = 302) => new(status, [], Location: location);

    public static Reply Status(int status) => new(status, "error"u8.ToArray(), "text/plain");

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                while (await reader.ReadLineAsync(_stop.Token) is { Length: > 0 } requestLine)
                {
                    while (await reader.ReadLineAsync(_stop.Token) is { Length: > 0 })
                    {
                        // headers are not needed
                    }
                    Interlocked.Increment(ref _requests);
                    string path = requestLine.Split(' ')[1];
                    Reply reply = _routes.TryGetValue(path, out Reply? r) ? r : new Reply(404, "not found"u8.ToArray(), "text/plain");
                    if (reply.Delay > TimeSpan.Zero)
                    {
                        await Task.Delay(reply.Delay, _stop.Token);
                    }
                    var head = new StringBuilder()
                        .Append("HTTP/1.1 ").Append(reply.Status).Append(' ').Append(reply.Status < 300 ? "OK" : reply.Status < 400 ? "Redirect" : "Error").Append("\r\n")
                        .Append("Content-Type: ").Append(reply.ContentType).Append("\r\n")
                        .Append("Content-Length: ").Append(reply.Body.Length).Append("\r\n");
                    if (reply.Location is not null)
                    {
                        head.Append("Location: ").Append(reply.Location).Append("\r\n");
                    }
                    head.Append("\r\n");
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), _stop.Token);
                    await stream.WriteAsync(reply.Body, _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // the client gave up (a size or time limit) or the host is stopping
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}

// Prometheus counters and histograms kept in memory and written in the text exposition format (no prometheus-net).
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Mnist.ML.Server.Infrastructure;

/// <summary>Request, error, latency and prediction counters. Thread-safe; one per process.</summary>
public sealed class ServerMetrics
{
    /// <summary>Upper bounds of the latency buckets, in seconds (+Inf is implied).</summary>
    internal static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly ConcurrentDictionary<(string Method, string Route, int Status), StrongBox> _requests = new();
    private readonly ConcurrentDictionary<string, Histogram> _latency = new();
    private readonly long[] _predictions = new long[10];
    private readonly long _startUnixSeconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public void RecordRequest(string method, string route, int status, TimeSpan elapsed)
    {
        Interlocked.Increment(ref _requests.GetOrAdd((method, route, status), _ => new StrongBox()).Value);
        _latency.GetOrAdd(route, _ => new Histogram()).Observe(elapsed.TotalSeconds);
    }

    public void RecordPrediction(int digit)
    {
        if ((uint)digit < 10)
        {
            Interlocked.Increment(ref _predictions[digit]);
        }
    }

    /// <summary>Writes every metric in Prometheus text format 0.0.4.</summary>
    public string Render(bool modelLoaded)
    {
        var s = new StringBuilder(4096);
        var requests = _requests.ToArray().OrderBy(r => r.Key.Route, StringComparer.Ordinal).ThenBy(r => r.Key.Method).ThenBy(r => r.Key.Status).ToArray();

        s.Append("# HELP mnist_http_requests_total HTTP requests by method, route and status.\n");
        s.Append("# TYPE mnist_http_requests_total counter\n");
        foreach (var (key, count) in requests)
        {
            s.Append(CultureInfo.InvariantCulture, $"mnist_http_requests_total{{method=\"{Escape(key.Method)}\",route=\"{Escape(key.Route)}\",status=\"{key.Status}\"}} {Volatile.Read(ref count.Value)}\n");
        }

        s.Append("# HELP mnist_http_errors_total HTTP responses with status 400 or above, by route and status.\n");
        s.Append("# TYPE mnist_http_errors_total counter\n");
        foreach (var group in requests.Where(r => r.Key.Status >= 400).GroupBy(r => (r.Key.Route, r.Key.Status)))
        {
            long sum = group.Sum(r => Volatile.Read(ref r.Value.Value));
            s.Append(CultureInfo.InvariantCulture, $"mnist_http_errors_total{{route=\"{Escape(group.Key.Route)}\",status=\"{group.Key.Status}\"}} {sum}\n");
        }

        s.Append("# HELP mnist_http_request_duration_seconds Time from request start to response end, by route.\n");
        s.Append("# TYPE mnist_http_request_duration_seconds histogram\n");
        foreach (var (route, histogram) in _latency.ToArray().OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            histogram.Render(s, "mnist_http_request_duration_seconds", $"route=\"{Escape(route)}\"");
        }

        s.Append("# HELP mnist_predictions_total Predictions returned, by predicted digit.\n");
        s.Append("# TYPE mnist_predictions_total counter\n");
        for (int d = 0; d < 10; d++)
        {
            s.Append(CultureInfo.InvariantCulture, $"mnist_predictions_total{{digit=\"{d}\"}} {Volatile.Read(ref _predictions[d])}\n");
        }

        s.Append("# HELP mnist_model_loaded 1 when the model is loaded and predictions are served.\n");
        s.Append("# TYPE mnist_model_loaded gauge\n");
        s.Append(modelLoaded ? "mnist_model_loaded 1\n" : "mnist_model_loaded 0\n");

        using var process = Process.GetCurrentProcess();
        s.Append("# HELP process_resident_memory_bytes Resident memory size in bytes.\n");
        s.Append("# TYPE process_resident_memory_bytes gauge\n");
        s.Append(CultureInfo.InvariantCulture, $"process_resident_memory_bytes {process.WorkingSet64}\n");
        s.Append("# HELP process_start_time_seconds Start time of the process since the Unix epoch, in seconds.\n");
        s.Append("# TYPE process_start_time_seconds gauge\n");
        s.Append(CultureInfo.InvariantCulture, $"process_start_time_seconds {_startUnixSeconds}\n");
        return s.ToString();
    }

    // Label values escape backslash, quote and newline, as the exposition format requires.
    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private sealed class StrongBox
    {
        public long Value;
    }

    private sealed class Histogram
    {
        private readonly long[] _buckets = new long[LatencyBuckets.Length + 1]; // last is +Inf
        private long _count;
        private long _sumMicroseconds;

        public void Observe(double seconds)
        {
            int i = 0;
            while (i < LatencyBuckets.Length && seconds > LatencyBuckets[i])
            {
                i++;
            }
            Interlocked.Increment(ref _buckets[i]);
            Interlocked.Increment(ref _count);
            Interlocked.Add(ref _sumMicroseconds, (long)(seconds * 1e6));
        }

        public void Render(StringBuilder s, string name, string labels)
        {
            long cumulative = 0;
            for (int i = 0; i < _buckets.Length; i++)
            {
                cumulative += Volatile.Read(ref _buckets[i]);
                string le = i < LatencyBuckets.Length ? LatencyBuckets[i].ToString("R", CultureInfo.InvariantCulture) : "+Inf";
                s.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"{le}\"}} {cumulative}\n");
            }
            s.Append(CultureInfo.InvariantCulture, $"{name}_sum{{{labels}}} {Volatile.Read(ref _sumMicroseconds) / 1e6}\n");
            s.Append(CultureInfo.InvariantCulture, $"{name}_count{{{labels}}} {cumulative}\n");
        }
    }
}

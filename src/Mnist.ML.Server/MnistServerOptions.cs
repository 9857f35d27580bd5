// Settings of the server, bound from the "Mnist" section (appsettings.json, environment Mnist__*, --config file.json).
using System.ComponentModel.DataAnnotations;
using Mnist.ML.Net;

namespace Mnist.ML.Server;

/// <summary>The "Mnist" configuration section. Every limit has a safe default.</summary>
public sealed class MnistServerOptions
{
    public const string Section = "Mnist";

    /// <summary>An .onnx model file; null or empty loads the model shipped inside Mnist.ML.</summary>
    public string? ModelPath { get; set; }

    /// <summary>Largest image accepted, in bytes (one upload, one raw body, one file of a batch). Default 5 MiB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 5L * 1024 * 1024;

    /// <summary>Largest request body, in bytes (a batch of several files). Default 20 MiB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>Most files in one POST /predict/batch. Default 32.</summary>
    [Range(1, 1024)]
    public int MaxBatchFiles { get; set; } = 32;

    /// <summary>Folder of the rolling log files; relative paths are under the current directory. Empty disables file logs.</summary>
    public string? LogFolder { get; set; } = "logs";

    [Required]
    public UrlFetchSettings UrlFetch { get; set; } = new();

    [Required]
    public RateLimitSettings RateLimit { get; set; } = new();
}

/// <summary>POST /predict/url: what may be fetched and how much.</summary>
public sealed class UrlFetchSettings
{
    /// <summary>Host names or IP literals fetched even when they resolve to a private address (for example an intranet image host).</summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>Largest image downloaded, in bytes. Default 5 MiB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxBytes { get; set; } = 5L * 1024 * 1024;

    /// <summary>Time for the whole download, redirects included. Default 10 s.</summary>
    [Range(0.1, 600)]
    public double TimeoutSeconds { get; set; } = 10;

    /// <summary>Redirects followed at most (each re-checked). Default 3.</summary>
    [Range(0, 10)]
    public int MaxRedirects { get; set; } = 3;

    internal SafeFetchOptions ToFetchOptions() => new()
    {
        AllowedHosts = AllowedHosts,
        MaxBytes = MaxBytes,
        Timeout = TimeSpan.FromSeconds(TimeoutSeconds),
        MaxRedirects = MaxRedirects,
    };
}

/// <summary>Fixed-window rate limit per client IP on the prediction endpoints.</summary>
public sealed class RateLimitSettings
{
    /// <summary>Requests per window per client IP. Default 600.</summary>
    [Range(1, int.MaxValue)]
    public int PermitLimit { get; set; } = 600;

    /// <summary>Window length in seconds. Default 60.</summary>
    [Range(1, 86_400)]
    public int WindowSeconds { get; set; } = 60;
}

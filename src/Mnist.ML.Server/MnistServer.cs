// The whole server, top to bottom: configuration, services, middleware, endpoints. Program.cs runs it;
// `mnist serve` calls RunAsync with its own arguments.
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Mnist.ML.Net;
using Mnist.ML.Server.Endpoints;
using Mnist.ML.Server.Infrastructure;

namespace Mnist.ML.Server;

/// <summary>Builds and runs the Mnist.ML REST API and web page.</summary>
public static class MnistServer
{
    /// <summary>The address used when neither --urls nor configuration names one.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5000";

    /// <summary>Runs the server until <paramref name="cancellationToken"/> is cancelled (or Ctrl+C).</summary>
    /// <param name="args">ASP.NET Core arguments (--urls http://127.0.0.1:5000, --Mnist:ModelPath=...) and --config file.json.</param>
    /// <param name="cancellationToken">Stops the server (graceful shutdown).</param>
    public static async Task RunAsync(string[] args, CancellationToken cancellationToken = default)
    {
        await using WebApplication app = CreateApp(args);
        await app.RunAsync(cancellationToken);
    }

    /// <summary>Builds the configured application without starting it.</summary>
    public static WebApplication CreateApp(string[] args)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // appsettings.json sits next to the assembly, wherever the server is started from.
            ContentRootPath = AppContext.BaseDirectory,
        });

        // ---- configuration: appsettings.json < --config file.json < environment < command line
        if (ConfigFileArgument(args) is { } configFile)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
            builder.Configuration.AddEnvironmentVariables();
            builder.Configuration.AddCommandLine(args);
        }
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        IConfigurationSection section = builder.Configuration.GetSection(MnistServerOptions.Section);

        // ---- services
        builder.Services.AddOptions<MnistServerOptions>().Bind(section).ValidateDataAnnotations()
            .Validate(o => o.UrlFetch.MaxBytes > 0 && o.UrlFetch.TimeoutSeconds > 0 && o.UrlFetch.MaxRedirects is >= 0 and <= 10,
                "Mnist:UrlFetch needs MaxBytes > 0, TimeoutSeconds > 0 and MaxRedirects in 0..10.")
            .Validate(o => o.RateLimit.PermitLimit > 0 && o.RateLimit.WindowSeconds > 0,
                "Mnist:RateLimit needs PermitLimit > 0 and WindowSeconds > 0.")
            .ValidateOnStart();
        // Everything below reads MnistServerOptions when first needed, so test and command-line overrides apply.
        builder.Services.AddSingleton<ILoggerProvider>(sp =>
            sp.GetRequiredService<IOptions<MnistServerOptions>>().Value.LogFolder is { Length: > 0 } folder
                ? new FileLoggerProvider(folder) // created by the container, so disposed (flushed) by it
                : Microsoft.Extensions.Logging.Abstractions.NullLoggerProvider.Instance);
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<MnistServerOptions>>((kestrel, o) =>
            kestrel.Limits.MaxRequestBodySize = o.Value.MaxRequestBytes);
        builder.Services.AddOptions<FormOptions>().Configure<IOptions<MnistServerOptions>>((form, o) =>
            form.MultipartBodyLengthLimit = o.Value.MaxRequestBytes);
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true); // binding errors reach the problem handler

        builder.Services.AddMnistPredictor(sp =>
        {
            MnistServerOptions o = sp.GetRequiredService<IOptions<MnistServerOptions>>().Value;
            var options = new MnistPredictorOptions { ImageLimits = Imaging.ImageDecodeOptions.Default with { MaxBytes = o.MaxUploadBytes } };
            return string.IsNullOrWhiteSpace(o.ModelPath) ? MnistPredictor.Load(options) : MnistPredictor.Load(o.ModelPath, options);
        });
        builder.Services.AddSingleton<ModelHost>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ModelHost>());
        builder.Services.AddSingleton(sp =>
            new SafeImageFetcher(sp.GetRequiredService<IOptions<MnistServerOptions>>().Value.UrlFetch.ToFetchOptions()));
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            c.ProblemDetails.Extensions["traceId"] = c.HttpContext.TraceIdentifier;
            c.ProblemDetails.Detail ??= DefaultDetail(c.HttpContext);
        });
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(PredictionEndpoints.RateLimitPolicy, context =>
            {
                RateLimitSettings r = context.RequestServices.GetRequiredService<IOptions<MnistServerOptions>>().Value.RateLimit;
                return RateLimitPartition.GetFixedWindowLimiter(context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = r.PermitLimit, Window = TimeSpan.FromSeconds(r.WindowSeconds), QueueLimit = 0 });
            });
            limiter.OnRejected = WriteRateLimitedAsync;
        });
        builder.Services.AddOpenApi();

        WebApplication app = builder.Build();

        // ---- middleware
        app.UseMiddleware<RequestTelemetryMiddleware>(); // outermost: sees the final status of every request
        app.UseExceptionHandler();
        app.UseStatusCodePages();                       // bodiless 404/405 become problem details too
        app.UseRateLimiter();
        var page = new ManifestEmbeddedFileProvider(typeof(MnistServer).Assembly, "wwwroot");
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = page });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = page });

        // ---- endpoints
        app.MapPredictions();
        app.MapModel();
        app.MapHealth();
        app.MapMetrics();
        app.MapOpenApi();
        return app;
    }

    private static string? ConfigFileArgument(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "--config" && i + 1 < args.Length)
            {
                return args[i + 1];
            }
            if (args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                return args[i]["--config=".Length..];
            }
        }
        return null;
    }

    /// <summary>A detail for the framework's own bodiless errors (404, 405, 415), which status code pages turn into problems.</summary>
    private static string DefaultDetail(HttpContext context) => context.Response.StatusCode switch
    {
        StatusCodes.Status404NotFound => $"Nothing at {context.Request.Path}. The endpoints are listed in /openapi/v1.json.",
        StatusCodes.Status405MethodNotAllowed => $"{context.Request.Method} is not allowed on {context.Request.Path}. The endpoints are listed in /openapi/v1.json.",
        StatusCodes.Status415UnsupportedMediaType => "Send a JSON body with Content-Type: application/json, e.g. {\"url\": \"https://example.org/digit.png\"}.",
        int status => $"The request failed with status {status}.",
    };

    private static async ValueTask WriteRateLimitedAsync(OnRejectedContext rejected, CancellationToken ct)
    {
        HttpContext context = rejected.HttpContext;
        string retry = "";
        if (rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan after))
        {
            int seconds = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            retry = $" Retry in {seconds} s.";
        }
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"This client sent more prediction requests than the limit allows.{retry}",
            },
        });
    }
}

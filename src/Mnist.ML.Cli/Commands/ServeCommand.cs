// `mnist serve`: checks the model loads, then runs Mnist.ML.Server (REST API + web page) until Ctrl+C.
using System.CommandLine;
using Mnist.ML.Cli.Output;
using Mnist.ML.Server;

namespace Mnist.ML.Cli.Commands;

internal static class ServeCommand
{
    public static readonly Option<string?> Urls = new("--urls") { Description = $"Addresses to listen on, separated by ';' (default {MnistServer.DefaultUrl}, or the config file's).", HelpName = "urls" };

    public static readonly Option<string?> Model = new("--model") { Description = "ONNX model to serve instead of the one shipped with Mnist.ML.", HelpName = "model.onnx" };

    public static readonly Option<string?> Config = new("--config") { Description = "JSON settings file (the server's \"Mnist\" section: limits, allowed URL hosts, rate limit, logs); command-line options win.", HelpName = "file.json" };

    public static Command Build()
    {
        var command = new Command("serve", "Serve the REST API and the drawing web page until Ctrl+C.") { Urls, Model, Config };
        command.SetAction(MnistCli.Guarded(async (parse, cancellationToken) =>
        {
            string? model = parse.GetValue(Model);
            string? config = parse.GetValue(Config);
            if (config is not null && !File.Exists(config))
            {
                throw new FileNotFoundException($"Config file {config} does not exist.", config);
            }
            // Fail here, with one line, rather than on the first request; a config file may name the model itself.
            if (model is not null || config is null)
            {
                ModelLoader.Load(model);
            }

            var args = new List<string>();
            if (parse.GetValue(Urls) is { } urls)
            {
                args.AddRange(["--urls", urls]);
            }
            if (model is not null)
            {
                args.Add($"--{MnistServerOptions.Section}:{nameof(MnistServerOptions.ModelPath)}={Path.GetFullPath(model)}");
            }
            if (config is not null)
            {
                args.AddRange(["--config", Path.GetFullPath(config)]);
            }
            try
            {
                await MnistServer.RunAsync([.. args], cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C is how a server is meant to stop.
            }
            return ExitCode.Ok;
        }));
        return command;
    }
}

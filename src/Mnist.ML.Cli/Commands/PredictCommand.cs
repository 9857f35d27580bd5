// `mnist predict`: recognises the digit in each image file or URL with MnistPredictor. A bad input
// is one line on stderr; the others are still processed and the exit code reports the failure.
using System.CommandLine;
using Mnist.ML.Cli.Output;

namespace Mnist.ML.Cli.Commands;

internal static class PredictCommand
{
    public static readonly Argument<string[]> Inputs = new("inputs")
    {
        Description = "Image files (PNG, JPEG, BMP, GIF) or http(s) URLs of images, one digit each.",
        Arity = ArgumentArity.OneOrMore,
        HelpName = "file|url",
    };

    public static readonly Option<string?> Model = new("--model") { Description = "ONNX model to use instead of the one shipped with Mnist.ML.", HelpName = "model.onnx" };

    public static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object per input and line: input, digit, confidence, probabilities (or error)." };

    public static readonly Option<string?> DebugImage = new("--debug-image") { Description = "Write the 28x28 the model saw as a PNG; with several inputs, out-1.png, out-2.png, ... by input position.", HelpName = "out.png" };

    public static readonly Option<string[]> AllowHost = new("--allow-host")
    {
        Description = "Host (name or IP) that URLs may fetch from although it is loopback or private; refused by default. Repeatable.",
        HelpName = "host",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static Command Build()
    {
        var command = new Command("predict", $"Recognize the digit in each image. URLs: http(s) only, public addresses only, at most {ImageInput.MaxUrlBytes / (1024 * 1024)} MiB in {ImageInput.UrlTimeout.TotalSeconds:0} s.")
        {
            Inputs, Model, Json, DebugImage, AllowHost,
        };
        command.SetAction(MnistCli.Guarded(async (parse, cancellationToken) =>
        {
            TextWriter error = parse.InvocationConfiguration.Error;
            string[] inputs = parse.GetValue(Inputs)!;
            string? debugImage = parse.GetValue(DebugImage);
            MnistPredictor predictor = ModelLoader.Load(parse.GetValue(Model));
            using var fetcher = ImageInput.CreateFetcher(parse.GetValue(AllowHost) ?? []);
            var view = new PredictionView(parse.InvocationConfiguration.Output, parse.GetValue(Json));

            ExitCode result = ExitCode.Ok;
            for (int i = 0; i < inputs.Length; i++)
            {
                try
                {
                    Prediction prediction = await ImageInput.PredictAsync(predictor, fetcher, inputs[i], cancellationToken).ConfigureAwait(false);
                    string? written = debugImage is null ? null : DebugImagePath(debugImage, i, inputs.Length);
                    if (written is not null)
                    {
                        await File.WriteAllBytesAsync(written, prediction.ModelInput.ToPng(), cancellationToken).ConfigureAwait(false);
                    }
                    view.Write(inputs[i], prediction, written);
                }
                catch (Exception e) when (ImageInput.Describe(e) is var (code, message) && !cancellationToken.IsCancellationRequested)
                {
                    error.WriteLine($"mnist: {inputs[i]}: {message}");
                    view.WriteError(inputs[i], message);
                    // A bad input outranks a network failure: it will not go away by retrying.
                    result = result == ExitCode.InputError ? result : code;
                }
            }
            return result;
        }));
        return command;
    }

    /// <summary>out.png for one input; out-1.png, out-2.png, ... (1-based input position) for several.</summary>
    internal static string DebugImagePath(string path, int index, int count)
    {
        if (count == 1)
        {
            return path;
        }
        string extension = Path.GetExtension(path);
        return Path.Combine(Path.GetDirectoryName(path) ?? "", $"{Path.GetFileNameWithoutExtension(path)}-{index + 1}{(extension.Length == 0 ? ".png" : extension)}");
    }
}

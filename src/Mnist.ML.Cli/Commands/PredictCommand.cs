// `mnist predict`: options and help. Prediction needs MnistPredictor; wiring pending.
using System.CommandLine;

namespace Mnist.ML.Cli.Commands;

internal static class PredictCommand
{
    public static readonly Argument<string[]> Inputs = new("inputs")
    {
        Description = "Image files (PNG, JPEG, BMP) or http(s) URLs of images, one digit each.",
        Arity = ArgumentArity.OneOrMore,
        HelpName = "file|url",
    };

    public static readonly Option<string?> Model = new("--model") { Description = "ONNX model to use instead of the one shipped with Mnist.ML.", HelpName = "model.onnx" };

    public static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object per input (digit, confidence, probabilities)." };

    public static readonly Option<string?> DebugImage = new("--debug-image") { Description = "Write the preprocessed 28x28 input as a PNG, to see what the model saw.", HelpName = "out.png" };

    public static Command Build()
    {
        var command = new Command("predict", "Recognize the digit in each image.") { Inputs, Model, Json, DebugImage };
        NotAvailable.SetAction(command, "the predictor");
        return command;
    }
}

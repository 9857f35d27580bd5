// `mnist evaluate`: options and help. Evaluation needs the ONNX executor; wiring pending.
using System.CommandLine;

namespace Mnist.ML.Cli.Commands;

internal static class EvaluateCommand
{
    public static readonly Option<string> Model = new("--model") { Description = "ONNX model to evaluate.", Required = true, HelpName = "model.onnx" };

    public static readonly Option<string> Data = new("--data") { Description = "Folder holding the MNIST IDX files; the 10,000 test images are used.", DefaultValueFactory = _ => Path.Combine("data", "mnist"), HelpName = "folder" };

    public static readonly Option<string?> Report = new("--report") { Description = "Also write an HTML report (accuracy, confusion matrix, worst mistakes).", HelpName = "report.html" };

    public static Command Build()
    {
        var command = new Command("evaluate", "Measure a model's accuracy on the MNIST test set.") { Model, Data, Report };
        NotAvailable.SetAction(command, "the ONNX executor");
        return command;
    }
}

// `mnist evaluate`: runs a model on the MNIST test set through MnistPredictor and shows accuracy,
// loss, per-class scores and the confusion matrix; optionally writes an HTML report.
using System.CommandLine;
using Mnist.ML.Cli.Output;
using Mnist.ML.Cli.Reports;
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Evaluation;

namespace Mnist.ML.Cli.Commands;

internal static class EvaluateCommand
{
    public static readonly Option<string?> Model = new("--model") { Description = "ONNX model to evaluate (default: the model shipped with Mnist.ML).", HelpName = "model.onnx" };

    public static readonly Option<string> Data = new("--data") { Description = "Folder holding the MNIST IDX files; the 10,000 test images are used.", DefaultValueFactory = _ => Path.Combine("data", "mnist"), HelpName = "folder" };

    public static readonly Option<string?> Report = new("--report") { Description = "Also write a self-contained HTML report: scores, the confusion matrix as a heat map, the misclassified digits.", HelpName = "report.html" };

    public static Command Build()
    {
        var command = new Command("evaluate", "Measure a model's accuracy on the MNIST test set.") { Model, Data, Report };
        command.SetAction(MnistCli.Guarded((parse, cancellationToken) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            string? modelPath = parse.GetValue(Model);
            MnistPredictor predictor = ModelLoader.Load(modelPath);
            string modelName = modelPath ?? "(shipped with Mnist.ML)";
            DigitDataset test = MnistDataset.LoadTest(parse.GetValue(Data)!);
            output.WriteLine($"model     {modelName}: {predictor.Model}");

            var evaluation = PredictorEvaluation.Run(predictor, test, cancellationToken: cancellationToken);
            EvaluationView.Write(output, evaluation.Result);
            if (parse.GetValue(Report) is { } report)
            {
                EvaluationReport.Write(report, modelName, parse.GetValue(Data)!, evaluation);
                output.WriteLine();
                output.WriteLine($"report    {report}");
            }
            return Task.FromResult(ExitCode.Ok);
        }));
        return command;
    }
}

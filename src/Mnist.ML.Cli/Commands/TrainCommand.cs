// `mnist train`: parses the options and runs MnistTrainer with a progress view; writes the model,
// its checkpoint, metrics.csv and the learning curve. Ctrl+C keeps the last finished epoch.
using System.CommandLine;
using System.Globalization;
using Mnist.ML.Cli.Output;
using Mnist.ML.Cli.Reports;
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Export;
using Mnist.ML.Trainer.Layers;
using Mnist.ML.Trainer.Optim;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Cli.Commands;

internal static class TrainCommand
{
    public static readonly Option<string> Arch = CheckArchitecture(new Option<string>("--arch")
    {
        Description = "Network: cnn3, lenet5, or a layer spec such as conv32k3p1-relu-pool2-flatten-fc10.",
        DefaultValueFactory = _ => "cnn3",
        HelpName = "cnn3|lenet5|spec",
    });

    public static readonly Option<int> Epochs = Check(
        new Option<int>("--epochs") { Description = "Passes over the training set.", DefaultValueFactory = _ => 10 },
        value => value > 0, "positive");

    public static readonly Option<int> BatchSize = Check(
        new Option<int>("--batch-size") { Description = "Images per optimizer step.", DefaultValueFactory = _ => 128 },
        value => value > 0, "positive");

    public static readonly Option<double> Validation = Check(
        new Option<double>("--validation")
        {
            Description = "Share of the training set held out for validation (0 to below 1), split deterministically from --seed.",
            DefaultValueFactory = _ => 0.2,
        },
        value => value >= 0 && value < 1, "at least 0 and below 1");

    public static readonly Option<bool> Augment = new("--augment") { Description = "Augment training images (small shifts, rotations, scaling)." };

    public static readonly Option<string> Optimizer = new Option<string>("--optimizer")
    {
        Description = "Optimizer.",
        DefaultValueFactory = _ => "adam",
    }.AcceptOnlyFromAmong("adam", "adamw", "sgd");

    public static readonly Option<double> LearningRate = Check(
        new Option<double>("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => 1e-3 },
        value => value > 0, "positive");

    public static readonly Option<int> Seed = new("--seed") { Description = "Seed for initialization, shuffling and the validation split; the same seed gives the same run.", DefaultValueFactory = _ => 42 };

    public static readonly Option<string?> Resume = new("--resume") { Description = "Checkpoint (.ckpt) to continue training from, with the same --arch and --optimizer; --epochs is the total.", HelpName = "checkpoint" };

    public static readonly Option<int?> Limit = Check(
        new Option<int?>("--limit") { Description = "Train on the first N training images only (quick runs and tests).", HelpName = "N" },
        value => value is null or > 0, "positive");

    public static readonly Option<string> Out = new("--out") { Description = "Folder for the model (.onnx with its model card), the checkpoint (.ckpt), metrics.csv and the learning curve (.svg).", DefaultValueFactory = _ => "models/", HelpName = "folder" };

    public static readonly Option<string> Data = new("--data") { Description = "Folder holding the MNIST IDX files.", DefaultValueFactory = _ => Path.Combine("data", "mnist"), HelpName = "folder" };

    public static Command Build()
    {
        var command = new Command("train", "Train a CNN on MNIST and export it to ONNX.")
        {
            Arch, Epochs, BatchSize, Validation, Augment, Optimizer, LearningRate, Seed, Resume, Limit, Out, Data,
        };
        command.SetAction(MnistCli.Guarded(RunAsync));
        return command;
    }

    private static async Task<ExitCode> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        string arch = parse.GetValue(Arch)!;
        int epochs = parse.GetValue(Epochs);
        string? resume = parse.GetValue(Resume);
        var run = TrainingRunFiles.Create(parse.GetValue(Out)!, arch, epochs, parse.GetValue(BatchSize), resume);

        DigitDataset data = MnistDataset.LoadTrain(parse.GetValue(Data)!);
        if (parse.GetValue(Limit) is int limit)
        {
            data = data.Take(limit);
        }
        var options = new MnistTrainerOptions
        {
            Architecture = arch,
            Epochs = epochs,
            BatchSize = parse.GetValue(BatchSize),
            ValidationFraction = parse.GetValue(Validation),
            Augment = parse.GetValue(Augment),
            Optimizer = Enum.Parse<OptimizerKind>(parse.GetValue(Optimizer)!, ignoreCase: true),
            LearningRate = parse.GetValue(LearningRate),
            Seed = parse.GetValue(Seed),
            CheckpointPath = run.Checkpoint,
            ResumeFrom = resume,
        };
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training {arch} on {data.Count:N0} images ({options.ValidationFraction * 100:0.#}% held out for validation), {epochs} epochs, batch {options.BatchSize}, {options.Optimizer} lr {options.LearningRate:G3}{(resume is null ? "" : $", resuming from {resume}")}"));

        // Rewritten after every epoch, so an interrupted run keeps what it finished.
        List<EpochMetrics> history = resume is null ? [] : MetricsCsv.Read(run.Metrics);
        var view = new TrainingProgressView(output, Terminal.IsInteractive(output), epoch =>
        {
            history.RemoveAll(row => row.Epoch >= epoch.Epoch);
            history.Add(epoch);
            MetricsCsv.Write(run.Metrics, history);
        });
        TrainingResult result;
        try
        {
            result = await new MnistTrainer(options).TrainAsync(data, view, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            view.Close();
            if (history.Count == 0)
            {
                throw new CliException(ExitCode.Cancelled, "cancelled before the first epoch finished; nothing was saved.");
            }
            LearningCurveSvg.Write(run.Curve, run.Title, history);
            throw new CliException(ExitCode.Cancelled,
                $"cancelled; the checkpoint {run.Checkpoint} holds epoch {history[^1].Epoch} of {epochs}. Continue with the same options plus --resume {run.Checkpoint}");
        }
        LearningCurveSvg.Write(run.Curve, run.Title, history);

        // The model card's accuracy is measured on the 10,000 test images, which training never sees.
        string testImages = Path.Combine(parse.GetValue(Data)!, MnistFiles.TestImages);
        EvaluationResult? test = File.Exists(testImages) ? MnistTrainer.Evaluate(result.Network, MnistDataset.LoadTest(parse.GetValue(Data)!)) : null;
        OnnxExporter.Export(result.Network, run.Model, new OnnxExportOptions
        {
            ModelCard = new ModelCard
            {
                TestAccuracy = test?.Accuracy,
                TrainingDataSha256 = ModelCard.HashOf(data),
                TrainingOptions = options.ToString(),
                TrainedAt = DateTimeOffset.UtcNow,
            },
        });

        output.WriteLine($"model       {run.Model}");
        output.WriteLine($"checkpoint  {run.Checkpoint}");
        output.WriteLine($"metrics     {run.Metrics}");
        output.WriteLine($"curve       {run.Curve}");
        if (result.Validation is { } validation)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"validation  accuracy {validation.Accuracy * 100:F2}%, loss {validation.Loss:F4} on {validation.Count:N0} images"));
        }
        output.WriteLine(test is null
            ? $"test        skipped: {testImages} not found"
            : string.Create(CultureInfo.InvariantCulture, $"test        accuracy {test.Accuracy * 100:F2}%, loss {test.Loss:F4} on {test.Count:N0} images"));
        return ExitCode.Ok;
    }

    /// <summary>Rejects an --arch that is neither a known name nor a valid layer spec as a usage error.</summary>
    private static Option<string> CheckArchitecture(Option<string> option)
    {
        option.Validators.Add(result =>
        {
            try
            {
                NetworkSpec.Parse(result.GetValueOrDefault<string>() ?? "");
            }
            catch (NetworkSpecException e)
            {
                result.AddError($"--arch: {e.Message}");
            }
        });
        return option;
    }

    /// <summary>Adds a validator: a value failing <paramref name="isValid"/> is a usage error saying it must be <paramref name="mustBe"/>.</summary>
    private static Option<T> Check<T>(Option<T> option, Func<T, bool> isValid, string mustBe)
    {
        option.Validators.Add(result =>
        {
            T? value;
            try
            {
                value = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return; // not a T at all: the parser already reports that
            }
            if (!isValid(value!))
            {
                result.AddError($"{option.Name} must be {mustBe}, not {value}.");
            }
        });
        return option;
    }
}

// `mnist train`: parses the options into MnistTrainerOptions and runs a TrainingSession: progress,
// checkpoint, metrics.csv, learning curve, then the ONNX export with its model card.
using System.CommandLine;
using Mnist.ML.Cli.Reports;
using Mnist.ML.Cli.Training;
using Mnist.ML.Trainer.Data;
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
        string? resume = parse.GetValue(Resume);
        var files = TrainingRunFiles.Create(parse.GetValue(Out)!, parse.GetValue(Arch)!, parse.GetValue(Epochs), parse.GetValue(BatchSize), resume);
        var options = new MnistTrainerOptions
        {
            Architecture = parse.GetValue(Arch)!,
            Epochs = parse.GetValue(Epochs),
            BatchSize = parse.GetValue(BatchSize),
            ValidationFraction = parse.GetValue(Validation),
            Augment = parse.GetValue(Augment),
            Optimizer = Enum.Parse<OptimizerKind>(parse.GetValue(Optimizer)!, ignoreCase: true),
            LearningRate = parse.GetValue(LearningRate),
            Seed = parse.GetValue(Seed),
            CheckpointPath = files.Checkpoint,
            ResumeFrom = resume,
        };
        DigitDataset data = MnistDataset.LoadTrain(parse.GetValue(Data)!);
        if (parse.GetValue(Limit) is int limit)
        {
            data = data.Take(limit);
        }

        var session = new TrainingSession(files, options, parse.InvocationConfiguration.Output);
        TrainingResult result = await session.TrainAsync(data, cancellationToken).ConfigureAwait(false);
        EvaluationResult? test = session.Export(result, data, parse.GetValue(Data)!);
        session.WriteSummary(result, test);
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

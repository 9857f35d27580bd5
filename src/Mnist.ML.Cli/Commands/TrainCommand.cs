// `mnist train`: options and help. The training loop lives in Mnist.ML.Trainer; wiring pending.
using System.CommandLine;

namespace Mnist.ML.Cli.Commands;

internal static class TrainCommand
{
    public static readonly Option<string> Arch = new("--arch")
    {
        Description = "Network: cnn3, lenet5, or a layer spec understood by the trainer.",
        DefaultValueFactory = _ => "cnn3",
        HelpName = "cnn3|lenet5|spec",
    };

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

    public static readonly Option<string?> Resume = new("--resume") { Description = "Checkpoint to continue training from.", HelpName = "checkpoint" };

    public static readonly Option<string> Out = new("--out") { Description = "Folder for the trained model (.onnx + model card) and checkpoints.", DefaultValueFactory = _ => "models/", HelpName = "folder" };

    public static readonly Option<string> Data = new("--data") { Description = "Folder holding the MNIST IDX files.", DefaultValueFactory = _ => Path.Combine("data", "mnist"), HelpName = "folder" };

    public static Command Build()
    {
        var command = new Command("train", "Train a CNN on MNIST and export it to ONNX.")
        {
            Arch, Epochs, BatchSize, Validation, Augment, Optimizer, LearningRate, Seed, Resume, Out, Data,
        };
        NotAvailable.SetAction(command, "the training engine");
        return command;
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
            if (value is null || !isValid(value))
            {
                result.AddError($"{option.Name} must be {mustBe}, not {value}.");
            }
        });
        return option;
    }
}

// Makes the model shipped in the Mnist.ML package (models/mnist-cnn.onnx + mnist-cnn.json), in two steps
// so the long one can run in the background:
//   train  <mnist-dir> <checkpoint> [epochs]  cnn3 on all 60,000 training images (augmented, Adam, cosine
//          schedule), a checkpoint after every epoch; writes <checkpoint>.summary.json (time, options)
//   export <mnist-dir> <checkpoint> <models-dir>  measures the 10,000 test images and exports the ONNX
//          file with its model card (metadata_props) and the same card as JSON
// Usage: scripts/ship-model.sh (runs both).
#:project ../src/Mnist.ML.Trainer/Mnist.ML.Trainer.csproj
#:property PublishAot=false
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Optim;
using Mnist.ML.Trainer.Training;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Length >= 3 && args[0] == "train")
{
    return Train(args[1], args[2], args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 4);
}
Console.Error.WriteLine("usage: ship-model.cs train <mnist-dir> <checkpoint> [epochs] | export <mnist-dir> <checkpoint> <models-dir>");
return 2;

static int Train(string mnist, string checkpoint, int epochs)
{
    var options = new MnistTrainerOptions
    {
        Architecture = "cnn3",
        Epochs = epochs,
        BatchSize = 128,
        ValidationFraction = 0,
        LearningRate = 2e-3,
        Schedule = LearningRateSchedule.Cosine(),
        Augment = true,
        Seed = 1,
        CheckpointPath = checkpoint,
    };
    var clock = Stopwatch.StartNew();
    var progress = new Progress<TrainingProgress>(p =>
    {
        if (p.Kind == TrainingProgressKind.Epoch || p.Batch % 50 == 0) Console.WriteLine($"{clock.Elapsed:hh\\:mm\\:ss} {p}");
    });
    var result = new MnistTrainer(options).Train(MnistDataset.LoadTrain(mnist), progress);
    double seconds = clock.Elapsed.TotalSeconds;
    var summary = new Dictionary<string, string>
    {
        ["architecture"] = options.Architecture,
        ["epochs"] = epochs.ToString(CultureInfo.InvariantCulture),
        ["training_seconds"] = seconds.ToString("F0", CultureInfo.InvariantCulture),
        ["trained_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["training_data"] = "MNIST training set, all 60,000 images (train-images-idx3-ubyte, train-labels-idx1-ubyte)",
        ["training_data_sha256"] = Sha256(Path.Combine(mnist, "train-images-idx3-ubyte")),
        ["training_labels_sha256"] = Sha256(Path.Combine(mnist, "train-labels-idx1-ubyte")),
        ["training_recipe"] = $"Mnist.ML.Trainer: Adam lr 2e-3 cosine to 0, batch 128, {epochs} epochs, augmentation (shift 2 px, rotate 10 deg, scale 0.9-1.1), seed 1",
    };
    File.WriteAllText(checkpoint + ".summary.json", JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"trained in {seconds:F0} s; last epoch: {result.Epochs[^1]}");
    Console.WriteLine(MnistTrainer.Evaluate(result.Network, MnistDataset.LoadTest(mnist)));
    return 0;
}

static string Sha256(string path)
{
    using var file = File.OpenRead(path);
    return Convert.ToHexStringLower(SHA256.HashData(file));
}

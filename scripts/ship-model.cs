// Makes the model shipped in the Mnist.ML package (models/mnist-cnn.onnx + mnist-cnn.json), in two steps
// so the long one can run in the background:
//   train  <mnist-dir> <checkpoint> [epochs]  cnn3 on all 60,000 training images (augmented, Adam, cosine
//          schedule), a checkpoint after every epoch; writes <checkpoint>.summary.json (time, options)
//   export <mnist-dir> <checkpoint> <out.onnx>  measures the 10,000 test images and exports the ONNX file
//          with the exporter's model card; writes <out.onnx>.card.json, the card entries the exporter
//          has no field for (name, epochs, training time, description), which ship_model_card.py adds
// Usage: scripts/ship-model.sh (runs everything).
#:project ../src/Mnist.ML.Trainer/Mnist.ML.Trainer.csproj
#:property PublishAot=false
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mnist.ML.Imaging;
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Export;
using Mnist.ML.Trainer.Optim;
using Mnist.ML.Trainer.Training;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Length >= 3 && args[0] == "train")
{
    return Train(args[1], args[2], args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 4);
}
if (args.Length == 4 && args[0] == "export")
{
    return Export(args[1], args[2], args[3]);
}
Console.Error.WriteLine("usage: ship-model.cs train <mnist-dir> <checkpoint> [epochs] | export <mnist-dir> <checkpoint> <out.onnx>");
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
        ["name"] = options.Architecture,
        ["epochs"] = epochs.ToString(CultureInfo.InvariantCulture),
        ["training_seconds"] = seconds.ToString("F0", CultureInfo.InvariantCulture),
        ["trained_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        ["training_options"] = $"Mnist.ML.Trainer {options.Architecture}: all 60,000 MNIST training images, Adam lr 2e-3 cosine to 0, batch 128, {epochs} epochs, augmentation (shift 2 px, rotate 10 deg, scale 0.9-1.1), seed 1",
    };
    File.WriteAllText(checkpoint + ".summary.json", JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"trained in {seconds:F0} s; last epoch: {result.Epochs[^1]}");
    Console.WriteLine(MnistTrainer.Evaluate(result.Network, MnistDataset.LoadTest(mnist)));
    return 0;
}

static int Export(string mnist, string checkpoint, string output)
{
    var summary = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(checkpoint + ".summary.json"))!;
    var network = MnistTrainer.LoadNetwork(checkpoint);
    var test = MnistTrainer.Evaluate(network, MnistDataset.LoadTest(mnist));
    Console.WriteLine(test);
    var card = new ModelCard
    {
        TrainingDataSha256 = ModelCard.HashOf(MnistDataset.LoadTrain(mnist)),
        TestAccuracy = test.Accuracy,
        Preprocessing = MnistPreprocessor.PreprocessingVersion,
        TrainingOptions = summary["training_options"],
        TrainedAt = DateTimeOffset.Parse(summary["trained_at"], CultureInfo.InvariantCulture),
    };
    OnnxExporter.Export(network, output, new OnnxExportOptions { ModelCard = card });
    var extras = new Dictionary<string, string>
    {
        ["name"] = summary["name"],
        ["epochs"] = summary["epochs"],
        ["training_seconds"] = summary["training_seconds"],
        ["description"] = $"{summary["name"]} CNN trained on MNIST by Mnist.ML.Trainer, exported by Mnist.ML's ONNX exporter; {test.Accuracy:P2} on the 10,000 MNIST test images.",
        ["test_set_sha256"] = ModelCard.HashOf(MnistDataset.LoadTest(mnist)),
    };
    File.WriteAllText(output + ".card.json", JsonSerializer.Serialize(extras, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"RESULT test-accuracy {test.Accuracy:F4} -> {output}");
    return 0;
}

// Training throughput and full-training runs of our engine, for the scripts in scripts/:
//   bench <arch> <images> <mnist-dir>   one epoch (Adam 1e-3, batch 128, no validation) over the first
//                                       <images> training images; last line: "RESULT <arch> <images/s>"
//   train <arch> <epochs> <mnist-dir>   all 60,000 training images, then the 10,000 test images;
//                                       last line: "RESULT <arch> test-accuracy <acc>"
using System.Globalization;
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Training;

if (args.Length != 4 || args[0] is not ("bench" or "train"))
{
    Console.Error.WriteLine("usage: Mnist.ML.TrainBench bench <arch> <images> <mnist-dir> | train <arch> <epochs> <mnist-dir>");
    return 2;
}
string mode = args[0], arch = args[1], dir = args[3];
int count = int.Parse(args[2], CultureInfo.InvariantCulture);
var data = MnistDataset.LoadTrain(dir);

if (mode == "bench")
{
    var options = new MnistTrainerOptions { Architecture = arch, Epochs = 1, BatchSize = 128, ValidationFraction = 0, Seed = 1 };
    var epoch = new MnistTrainer(options).Train(data.Take(count)).Epochs[^1];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {arch} {epoch.ImagesPerSecond:F1} (loss {epoch.Loss:F4}, acc {epoch.Accuracy:P2})"));
    return 0;
}

var trainer = new MnistTrainer(new MnistTrainerOptions { Architecture = arch, Epochs = count, ValidationFraction = 0, Seed = 1 });
var progress = new Progress<TrainingProgress>(p =>
{
    if (p.Kind == TrainingProgressKind.Epoch || p.Batch % 100 == 0) Console.WriteLine(p);
});
var result = trainer.Train(data, progress);
var test = MnistTrainer.Evaluate(result.Network, MnistDataset.LoadTest(dir));
Console.WriteLine(test);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"RESULT {arch} test-accuracy {test.Accuracy:F4}"));
return 0;

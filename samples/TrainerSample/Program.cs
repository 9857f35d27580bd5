// Trains LeNet-5 on MNIST with MnistTrainer and prints progress and the test-set evaluation.
// Usage: dotnet run --project samples/TrainerSample -c Release [mnist-dir] [epochs]
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Training;

string dir = args.Length > 0 ? args[0] : "data/mnist";
int epochs = args.Length > 1 ? int.Parse(args[1]) : 3;

var trainer = new MnistTrainer(new MnistTrainerOptions { Architecture = "lenet5", Epochs = epochs });
var progress = new Progress<TrainingProgress>(p =>
{
    if (p.Kind == TrainingProgressKind.Epoch || p.Batch % 50 == 0) Console.WriteLine(p);
});
var result = trainer.Train(MnistDataset.LoadTrain(dir), progress);
Console.WriteLine(MnistTrainer.Evaluate(result.Network, MnistDataset.LoadTest(dir)));

// Trains LeNet-5 on MNIST with MnistTrainer, prints progress and the test-set evaluation, and exports
// the network to ONNX with its model card.
// Usage: dotnet run --project samples/TrainerSample -c Release [mnist-dir] [epochs] [out.onnx]
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Export;
using Mnist.ML.Trainer.Training;

string dir = args.Length > 0 ? args[0] : "data/mnist";
int epochs = args.Length > 1 ? int.Parse(args[1]) : 3;
string output = args.Length > 2 ? args[2] : "lenet5.onnx";

var train = MnistDataset.LoadTrain(dir);
var test = MnistDataset.LoadTest(dir);
var trainer = new MnistTrainer(new MnistTrainerOptions { Architecture = "lenet5", Epochs = epochs });
var progress = new Progress<TrainingProgress>(p =>
{
    if (p.Kind == TrainingProgressKind.Epoch || p.Batch % 50 == 0) Console.WriteLine(p);
});
var result = trainer.Train(train, progress);
EvaluationResult evaluation = MnistTrainer.Evaluate(result.Network, test);
Console.WriteLine(evaluation);

OnnxExporter.Export(result.Network, output, new OnnxExportOptions
{
    ModelCard = new ModelCard
    {
        TrainingDataSha256 = ModelCard.HashOf(train),
        TestAccuracy = evaluation.Accuracy,
        TrainedAt = DateTimeOffset.UtcNow,
    },
});
Console.WriteLine($"exported {output}");

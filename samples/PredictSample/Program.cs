// Recognises the digit in each image file given, with the model shipped in the Mnist.ML package.
// Usage: dotnet run --project samples/PredictSample -- digit.png [more.jpg ...]
using Mnist.ML;

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: PredictSample <image> [more images]");
    return 2;
}
var predictor = MnistPredictor.Load();
foreach (string path in args)
{
    Prediction result = predictor.Predict(path);
    Console.WriteLine($"{path}: {result.Digit} ({result.Confidence:P1})");
}
return 0;

// End-to-end Predict latency (decode + preprocess + infer) of the shipped model on image files:
// warms up 3 s per file, then prints the median and p90 of 3,000 calls and the bytes one call allocates.
// Usage (from the repository root): dotnet run -c Release scripts/predict-latency.cs [image ...]
//   default images: samples/images/mnist-7.png (28x28) and samples/images/jpeg-photo-4.jpg
#:project ../src/Mnist.ML/Mnist.ML.csproj
#:property PublishAot=false
using System.Diagnostics;
using Mnist.ML;

string[] files = args.Length > 0 ? args : ["samples/images/mnist-7.png", "samples/images/jpeg-photo-4.jpg"];
var predictor = MnistPredictor.Load();
foreach (string file in files)
{
    byte[] bytes = File.ReadAllBytes(file);
    var warmUp = Stopwatch.StartNew();
    while (warmUp.ElapsedMilliseconds < 3000) predictor.Predict(bytes);
    var micros = new double[3000];
    for (int i = 0; i < micros.Length; i++)
    {
        long start = Stopwatch.GetTimestamp();
        predictor.Predict(bytes);
        micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }
    Array.Sort(micros);
    long before = GC.GetAllocatedBytesForCurrentThread();
    predictor.Predict(bytes);
    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
    Console.WriteLine($"{file}: median {micros[micros.Length / 2]:F0} us, p90 {micros[micros.Length * 9 / 10]:F0} us, " +
        $"{allocated:N0} B allocated per call, model {predictor.Model.Name}");
}

// The one recipe of the model shipped in Mnist.ML (models/mnist-cnn.onnx + mnist-cnn.json). Steps, each
// resumable, so the long one runs in the background (scripts/train-release-model.sh runs them in order):
//   bench  <mnist-dir> [spec]                   images/s of one training epoch on a 2,000-image slice
//   train  <mnist-dir> <checkpoint> [epochs]    trains on the 55,000-image split (5,000 held out for
//          selection and calibration, split from the seed); a checkpoint after every epoch
//   export <mnist-dir> <checkpoint> <out.onnx>  validation accuracy, temperature fitted on validation,
//          then (once) test accuracy; exports the ONNX file and <out.onnx>.card.json (card extras)
//   describe <mnist-dir> <model.onnx>...          parameters, FLOPs, accuracy on the validation split and
//          Predict latency (one 28x28 image, median of 2,000 after warm-up) of each model, for docs/MODEL.md
//   baseline <mnist-dir>                         the previous shipped recipe (cnn3, Adam 2e-3 cosine, 4 epochs,
//          augmentation, seed 1) on the same 55,000 / 5,000 split, for a like-for-like validation comparison
#:project ../src/Mnist.ML.Trainer/Mnist.ML.Trainer.csproj
#:property PublishAot=false
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Mnist.ML.Imaging;
using Mnist.ML;
using Mnist.ML.Trainer.Data;
using Mnist.ML.Trainer.Evaluation;
using Mnist.ML.Trainer.Export;
using Mnist.ML.Trainer.Optim;
using Mnist.ML.Trainer.Training;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
return args switch
{
    ["bench", var mnist, ..] => Bench(mnist, args.Length > 2 ? args[2] : Recipe.Spec),
    ["train", var mnist, var ckpt, ..] => Train(mnist, ckpt, args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : Recipe.Epochs),
    ["export", var mnist, var ckpt, var output, var realworld] => Export(mnist, ckpt, output, realworld),
    ["describe", var mnist, .. var models] when models.Length > 0 => Describe(mnist, models),
    ["baseline", var mnist] => Baseline(mnist),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: release-model.cs bench <mnist-dir> [spec] | train <mnist-dir> <checkpoint> [epochs] | export <mnist-dir> <checkpoint> <out.onnx> <realworld-dir>");
    return 2;
}

static int Bench(string mnist, string spec)
{
    var slice = MnistDataset.LoadTrain(mnist).Take(2000);
    var options = Recipe.Options(1) with { Architecture = spec, ValidationFraction = 0 };
    var clock = Stopwatch.StartNew();
    new MnistTrainer(options).Train(slice);
    double s = clock.Elapsed.TotalSeconds;
    Console.WriteLine($"BENCH {spec}: 2000 images in {s:F1} s = {2000 / s:F0} images/s; 55,000-image epoch ~ {55000 / (2000 / s):F0} s");
    return 0;
}

static int Train(string mnist, string checkpoint, int epochs)
{
    var options = Recipe.Options(epochs) with { CheckpointPath = checkpoint, ResumeFrom = File.Exists(checkpoint) ? checkpoint : null };
    var clock = Stopwatch.StartNew();
    var progress = new Progress<TrainingProgress>(p =>
    {
        if (p.Kind == TrainingProgressKind.Epoch || p.Batch % 50 == 0) Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {clock.Elapsed:hh\\:mm\\:ss} {p}");
    });
    var result = new MnistTrainer(options).Train(MnistDataset.LoadTrain(mnist), progress);
    double seconds = clock.Elapsed.TotalSeconds;
    var summary = new Dictionary<string, string>
    {
        ["epochs"] = epochs.ToString(CultureInfo.InvariantCulture),
        ["training_seconds"] = seconds.ToString("F0", CultureInfo.InvariantCulture),
        ["trained_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        ["training_options"] = Recipe.Describe(epochs),
    };
    File.WriteAllText(checkpoint + ".summary.json", JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"trained in {seconds:F0} s; last epoch: {result.Epochs[^1]}");
    return 0;
}

static int Export(string mnist, string checkpoint, string output, string realworld)
{
    var summary = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(checkpoint + ".summary.json"))!;
    var network = MnistTrainer.LoadNetwork(checkpoint);
    var all = MnistDataset.LoadTrain(mnist);
    // The trainer's own split (same data, fraction and seed): these images were never trained on.
    var (_, validation) = DatasetSplit.Split(all, Recipe.ValidationFraction, Recipe.Seed);
    float[] valLogits = network.PredictLogits(validation.Images, validation.Count);
    double valAccuracy = MnistTrainer.Evaluate(network, validation).Accuracy;
    double temperature = Calibration.FitTemperature(valLogits, validation.Labels);
    double eceValRaw = Calibration.ExpectedCalibrationError(valLogits, validation.Labels);
    double eceValCal = Calibration.ExpectedCalibrationError(valLogits, validation.Labels, temperature);
    Console.WriteLine($"validation ({validation.Count}): accuracy {valAccuracy:F4}, NLL {Calibration.NegativeLogLikelihood(valLogits, validation.Labels):F4} -> {Calibration.NegativeLogLikelihood(valLogits, validation.Labels, temperature):F4} at T {temperature:F4}, ECE {eceValRaw:F4} -> {eceValCal:F4}");

    // Everything above is decided; the test set is looked at once, here.
    var test = MnistDataset.LoadTest(mnist);
    var testResult = MnistTrainer.Evaluate(network, test);
    float[] testLogits = network.PredictLogits(test.Images, test.Count);
    double eceTestRaw = Calibration.ExpectedCalibrationError(testLogits, test.Labels);
    double eceTestCal = Calibration.ExpectedCalibrationError(testLogits, test.Labels, temperature);
    Console.WriteLine($"test ({test.Count}): {testResult}; ECE {eceTestRaw:F4} -> {eceTestCal:F4}");

    var card = new ModelCard
    {
        TrainingDataSha256 = ModelCard.HashOf(all),
        TestAccuracy = Math.Round(testResult.Accuracy, 4),
        Preprocessing = MnistPreprocessor.PreprocessingVersion,
        TrainingOptions = summary["training_options"],
        TrainedAt = DateTimeOffset.Parse(summary["trained_at"], CultureInfo.InvariantCulture),
    };
    OnnxExporter.Export(network, output, new OnnxExportOptions { ModelCard = card, Temperature = temperature });

    // The file, run the way users run it, must score what the card says.
    var predictor = MnistPredictor.Load(output);
    var predictions = predictor.PredictBatch(test.Images, test.Count);
    double fileAccuracy = predictions.Where((p, i) => p.Digit == test.Labels[i]).Count() / (double)test.Count;
    Console.WriteLine($"exported file through MnistPredictor: test accuracy {fileAccuracy:F4}");
    if (Math.Round(fileAccuracy, 4) != card.TestAccuracy)
    {
        Console.Error.WriteLine($"the exported file scores {fileAccuracy:F4}, the network {card.TestAccuracy:F4}: the card would not match the file");
        return 1;
    }

    var rows = File.ReadLines(Path.Combine(realworld, "labels.csv")).Skip(1).Select(l => l.Split(','))
        .Select(f => (File: Path.Combine(realworld, f[0]), Label: int.Parse(f[1], CultureInfo.InvariantCulture), Kind: f[2])).ToArray();
    var realPredictions = predictor.PredictBatch(rows.Select(r => r.File));
    string perKind = string.Join(";", rows.Select((r, i) => (r.Kind, Correct: realPredictions[i].Digit == r.Label)).GroupBy(x => x.Kind)
        .Select(g => FormattableString.Invariant($"{g.Key}={g.Count(x => x.Correct) / (double)g.Count():0.####}")));
    Console.WriteLine($"real-world-style set: {perKind}");

    var extras = new Dictionary<string, string>
    {
        ["name"] = Recipe.Name,
        ["epochs"] = summary["epochs"],
        ["training_seconds"] = summary["training_seconds"],
        ["description"] = $"{Recipe.Name} CNN trained on MNIST by Mnist.ML.Trainer (scripts/train-release-model.sh), exported by Mnist.ML's ONNX exporter with temperature-scaled logits; {testResult.Accuracy:P2} on the 10,000 MNIST test images.",
        ["test_set_sha256"] = ModelCard.HashOf(test),
        ["validation_set"] = $"{validation.Count} of the 60,000 training images, DatasetSplit.Split(train, {Recipe.ValidationFraction.ToString("R", CultureInfo.InvariantCulture)}, seed {Recipe.Seed}); never trained on",
        ["validation_accuracy"] = Math.Round(valAccuracy, 4).ToString("R", CultureInfo.InvariantCulture),
        ["calibration"] = "temperature scaling: T minimises the NLL on the validation set (golden-section search on log T); folded into the last Gemm, so 'logits' = raw logits / T and 'probabilities' = softmax of those. ECE: 15 equal-width confidence bins",
        ["ece_validation_raw"] = eceValRaw.ToString("F4", CultureInfo.InvariantCulture),
        ["ece_validation_calibrated"] = eceValCal.ToString("F4", CultureInfo.InvariantCulture),
        ["ece_test_raw"] = eceTestRaw.ToString("F4", CultureInfo.InvariantCulture),
        ["ece_test_calibrated"] = eceTestCal.ToString("F4", CultureInfo.InvariantCulture),
        ["parameters"] = network.ParameterCount.ToString(CultureInfo.InvariantCulture),
        ["flops_per_image"] = Flops(Recipe.Spec).ToString(CultureInfo.InvariantCulture),
        ["realworld_set"] = $"scripts/make-realworld-set.py, default seed and size ({rows.Length} images), accuracy per kind through MnistPredictor",
        ["realworld_accuracy"] = perKind,
    };
    File.WriteAllText(output + ".card.json", JsonSerializer.Serialize(extras, new JsonSerializerOptions { WriteIndented = true }));
    Console.WriteLine($"RESULT validation {valAccuracy:F4} test {testResult.Accuracy:F4} T {temperature:F4} -> {output}");
    return 0;
}

static int Baseline(string mnist)
{
    var options = new MnistTrainerOptions
    {
        Architecture = "cnn3", Epochs = 4, BatchSize = 128, ValidationFraction = Recipe.ValidationFraction,
        LearningRate = 2e-3, Schedule = LearningRateSchedule.Cosine(), Augment = true, Seed = Recipe.Seed,
    };
    var clock = Stopwatch.StartNew();
    var progress = new Progress<TrainingProgress>(p => { if (p.Kind == TrainingProgressKind.Epoch) Console.WriteLine($"{clock.Elapsed:hh\\:mm\\:ss} {p}"); });
    var result = new MnistTrainer(options).Train(MnistDataset.LoadTrain(mnist), progress);
    Console.WriteLine($"BASELINE cnn3 (previous shipped recipe) on the 55,000 split: {clock.Elapsed.TotalSeconds:F0} s, validation accuracy {result.Epochs[^1].ValidationAccuracy:F4}");
    return 0;
}

static int Describe(string mnist, string[] models)
{
    var (_, validation) = DatasetSplit.Split(MnistDataset.LoadTrain(mnist), Recipe.ValidationFraction, Recipe.Seed);
    foreach (string path in models)
    {
        var predictor = MnistPredictor.Load(path);
        string spec = predictor.Model.Architecture ?? throw new InvalidOperationException($"{path} has no architecture in its card");
        var predictions = predictor.PredictBatch(validation.Images, validation.Count);
        double valAccuracy = predictions.Where((p, i) => p.Digit == validation.Labels[i]).Count() / (double)validation.Count;
        float[] image = validation.Images[..DigitDataset.ImageSize].ToArray();
        for (int i = 0; i < 200; i++) predictor.Predict(image);
        var times = new double[2000];
        for (int i = 0; i < times.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            predictor.Predict(image);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(times);
        Console.WriteLine($"DESCRIBE {path}: {predictor.Model.Name} parameters {Mnist.ML.Trainer.Layers.NetworkSpec.Build(spec).ParameterCount}, FLOPs/image {Flops(spec)}, " +
            $"validation-split accuracy {valAccuracy:F4}, Predict(28x28 pixels) median {times[times.Length / 2]:F0} us, p90 {times[times.Length * 9 / 10]:F0} us");
    }
    return 0;
}

/// <summary>Floating-point operations of one forward pass (a multiply-add counts 2) in conv and fc layers; BatchNorm, ReLU and pooling are left out.</summary>
static long Flops(string spec)
{
    long flops = 0;
    int c = 1, h = 28, w = 28;
    foreach (string token in spec.Split('-'))
    {
        var conv = System.Text.RegularExpressions.Regex.Match(token, @"^conv(\d+)k(\d+)(?:s(\d+))?(?:p(\d+))?$");
        var pool = System.Text.RegularExpressions.Regex.Match(token, @"^(?:max|avg)?pool(\d+)(?:s(\d+))?$");
        var fc = System.Text.RegularExpressions.Regex.Match(token, @"^fc(\d+)$");
        if (conv.Success)
        {
            int n = int.Parse(conv.Groups[1].Value), k = int.Parse(conv.Groups[2].Value);
            int s = conv.Groups[3].Success ? int.Parse(conv.Groups[3].Value) : 1, p = conv.Groups[4].Success ? int.Parse(conv.Groups[4].Value) : 0;
            h = (h + 2 * p - k) / s + 1; w = (w + 2 * p - k) / s + 1;
            flops += 2L * n * h * w * c * k * k;
            c = n;
        }
        else if (pool.Success)
        {
            int k = int.Parse(pool.Groups[1].Value), s = pool.Groups[2].Success ? int.Parse(pool.Groups[2].Value) : k;
            h = (h - k) / s + 1; w = (w - k) / s + 1;
        }
        else if (fc.Success)
        {
            int n = int.Parse(fc.Groups[1].Value);
            flops += 2L * c * h * w * n;
            c = n; h = w = 1;
        }
    }
    return flops;
}

/// <summary>The release recipe, in one place.</summary>
static class Recipe
{
    public const string Name = "cnn4bn";
    public const string Spec = "conv32k3p1-bn-relu-conv32k3p1-bn-relu-pool2-conv64k3p1-bn-relu-conv64k3p1-bn-relu-pool2-flatten-drop0.3-fc256-relu-drop0.3-fc10";
    public const int Epochs = 8;
    public const int Seed = 1;
    /// <summary>5,000 of the 60,000 training images, chosen by the seed, never trained on: selection and calibration.</summary>
    public const double ValidationFraction = 5000.0 / 60000;

    public static MnistTrainerOptions Options(int epochs) => new()
    {
        Architecture = Spec,
        Epochs = epochs,
        BatchSize = 128,
        ValidationFraction = ValidationFraction,
        Optimizer = OptimizerKind.AdamW,
        LearningRate = 3e-3,
        WeightDecay = 1e-2,
        Schedule = LearningRateSchedule.OneCycle(),
        LabelSmoothing = 0.1,
        Augment = true,
        Seed = Seed,
    };

    public static string Describe(int epochs) =>
        $"Mnist.ML.Trainer {Spec}: 55,000 MNIST training images (5,000 held out by seed {Seed} for selection and calibration), " +
        $"AdamW lr 3e-3 one-cycle, weight decay 1e-2 (decoupled), label smoothing 0.1, batch 128, {epochs} epochs, augmentation (shift 2 px, rotate 10 deg, scale 0.9-1.1), seed {Seed}";
}

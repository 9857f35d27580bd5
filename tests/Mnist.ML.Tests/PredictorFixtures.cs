// Shared inputs of the predictor tests: the shipped model (loaded once), MNIST test digits rendered as
// image files and small ONNX models with odd shapes (made by make_predictor_fixtures.py once per run).
using Mnist.ML.Testing;
using Mnist.ML.Tests.Onnx;

namespace Mnist.ML.Tests;

internal static class PredictorFixtures
{
    public const int DigitCount = 100;

    private static readonly Lazy<MnistPredictor> ShippedPredictor = new(() => MnistPredictor.Load());

    private static readonly Lazy<string> FixtureDir = new(() =>
    {
        string dir = Imaging.TestImages.NewTempDir("predictor");
        ReferenceTools.Run(TestPaths.SystemPython, TestPaths.Combine("tests", "Mnist.ML.Tests", "make_predictor_fixtures.py"),
            dir, TestPaths.MnistDir, DigitCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return dir;
    });

    /// <summary>The model embedded in the package; the tests that use it fail when the package has none.</summary>
    public static MnistPredictor Shipped => ShippedPredictor.Value;

    public static string Dir => FixtureDir.Value;

    /// <summary>The image file of test digit <paramref name="index"/> in the given format ("png", "jpg", "bmp").</summary>
    public static string Digit(int index, string extension) => Path.Combine(Dir, "digits", $"{index:D4}.{extension}");

    public static int[] DigitLabels => File.ReadAllLines(Path.Combine(Dir, "digits", "labels.txt")).Select(int.Parse).ToArray();

    public static string Model(string name) => Path.Combine(Dir, "models", name + ".onnx");

    public static string BlankPng => Path.Combine(Dir, "blank.png");

    /// <summary>MNIST test labels (the first <paramref name="count"/>).</summary>
    public static byte[] MnistTestLabels(int count = 10_000) =>
        File.ReadAllBytes(Path.Combine(TestPaths.MnistDir, "t10k-labels-idx1-ubyte")).AsSpan(8, count).ToArray();
}

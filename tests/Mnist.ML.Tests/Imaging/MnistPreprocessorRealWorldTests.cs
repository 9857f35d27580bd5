// The whole pipeline (decode + preprocess) on MNIST digits rendered as users send them (scripts/make-realworld-set.py):
// the 28x28 that comes out must look like the MNIST digit it was made from, for every kind of picture.
using System.Globalization;
using Mnist.ML.Imaging;
using Mnist.ML.Testing;

namespace Mnist.ML.Tests.Imaging;

[TestClass]
public sealed class MnistPreprocessorRealWorldTests
{
    public TestContext TestContext { get; set; } = null!;

    // Cosine similarity between our 28x28 and the original MNIST digit, mean per kind. Rendering changes the
    // digit itself for some kinds (stroke width, rotation), so their bounds are lower; identity would be 1.
    // Measured with --seed 7, 40 per kind: 0.92-0.96 for the plain kinds, thick 0.90, thin 0.93, rotated 0.82.
    private static readonly Dictionary<string, double> MinMeanSimilarity = new()
    {
        ["dark-on-white"] = 0.93,
        ["jpeg-photo"] = 0.88,
        ["colour-on-cream"] = 0.90,
        ["transparent-png"] = 0.93,
        ["bmp-scan"] = 0.93,
        ["off-centre"] = 0.93,
        ["thick-stroke"] = 0.87,
        ["thin-stroke"] = 0.88,
        ["rotated"] = 0.78,
    };

    [TestMethod]
    public void PreprocessedRealWorldDigitsMatchTheirMnistOriginals()
    {
        string dir = TestImages.NewTempDir("realworld");
        TestImages.Run(TestPaths.SystemPython, TestPaths.Combine("scripts", "make-realworld-set.py"),
            "--out", dir, "--mnist", TestPaths.MnistDir, "--per-kind", "40", "--seed", "7");
        byte[] mnist = File.ReadAllBytes(Path.Combine(TestPaths.MnistDir, "t10k-images-idx3-ubyte"));

        var perKind = new Dictionary<string, List<double>>();
        var worst = new Dictionary<string, (double Similarity, string File)>();
        foreach (string line in File.ReadLines(Path.Combine(dir, "labels.csv")).Skip(1))
        {
            string[] f = line.Split(',');
            string kind = f[2];
            int index = int.Parse(f[3], CultureInfo.InvariantCulture);
            PreprocessedDigit digit = MnistPreprocessor.Preprocess(File.ReadAllBytes(Path.Combine(dir, f[0])));
            Assert.IsTrue(digit.HasInk, $"{f[0]} has a digit");
            File.WriteAllBytes(Path.Combine(dir, f[0] + ".28x28.png"), digit.ToPng()); // what the model would see, for eyes
            double similarity = Cosine(digit.Pixels, mnist.AsSpan(16 + index * 784, 784));
            if (!perKind.TryGetValue(kind, out var list))
            {
                perKind[kind] = list = [];
            }
            list.Add(similarity);
            if (!worst.TryGetValue(kind, out var w) || similarity < w.Similarity)
            {
                worst[kind] = (similarity, f[0]);
            }
        }

        TestContext.WriteLine($"Images and their 28x28 results: {dir} (kept with MNIST_ML_KEEP_TEST_IMAGES=1)");
        Assert.HasCount(MinMeanSimilarity.Count, perKind, "every kind of the generator is measured");
        var failures = new List<string>();
        foreach (var (kind, values) in perKind.OrderBy(k => k.Key))
        {
            double mean = values.Average();
            TestContext.WriteLine($"{kind,-16} n={values.Count} mean cosine {mean:F3} min {values.Min():F3} ({worst[kind].File})");
            if (mean < MinMeanSimilarity[kind])
            {
                failures.Add($"{kind}: mean cosine {mean:F3} < {MinMeanSimilarity[kind]}");
            }
        }
        Assert.IsEmpty(failures, string.Join("\n", failures));
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<byte> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double y = b[i] / 255.0;
            dot += a[i] * y;
            na += a[i] * a[i];
            nb += y * y;
        }
        return dot / Math.Sqrt(na * nb);
    }
}

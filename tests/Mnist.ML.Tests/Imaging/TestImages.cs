// Generates the decoder test images once per test run (make-test-images.py with Debian's PIL and ImageMagick)
// and compares our decodes with PIL's pixels.
using System.Diagnostics;
using System.Text;
using Mnist.ML.Imaging;
using Mnist.ML.Testing;

namespace Mnist.ML.Tests.Imaging;

internal sealed record TestImage(string Name, string Path, string Compare, string? ReferencePath);

internal static class TestImages
{
    private static readonly Lazy<string> Dir = new(Generate, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly List<string> TempDirs = [];

    /// <summary>A fresh temp folder for generated images, deleted after the run unless MNIST_ML_KEEP_TEST_IMAGES=1.</summary>
    public static string NewTempDir(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mnist-ml-{name}-{Environment.ProcessId}");
        lock (TempDirs)
        {
            TempDirs.Add(dir);
        }
        return dir;
    }

    public static void DeleteTempDirs()
    {
        if (Environment.GetEnvironmentVariable("MNIST_ML_KEEP_TEST_IMAGES") == "1")
        {
            return;
        }
        lock (TempDirs)
        {
            foreach (string dir in TempDirs.Where(System.IO.Directory.Exists))
            {
                System.IO.Directory.Delete(dir, recursive: true);
            }
        }
    }

    public static string Directory => Dir.Value;

    /// <summary>Manifest entries whose file name ends with one of the extensions.</summary>
    public static IReadOnlyList<TestImage> All(params string[] extensions)
    {
        var list = new List<TestImage>();
        foreach (string line in File.ReadAllLines(Path.Combine(Directory, "manifest.tsv")))
        {
            string[] f = line.Split('\t');
            if (f.Length == 3 && extensions.Any(e => f[0].EndsWith(e, StringComparison.Ordinal)))
            {
                list.Add(new TestImage(f[0], Path.Combine(Directory, f[0]), f[1], f[2] == "-" ? null : Path.Combine(Directory, f[2])));
            }
        }
        return list;
    }

    public static (int Width, int Height, byte[] Rgba) ReadReference(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        int w = BitConverter.ToInt32(b, 0), h = BitConverter.ToInt32(b, 4);
        return (w, h, b[8..]);
    }

    /// <summary>Decodes every generated image with these extensions, logs the differences, and fails listing each mismatch.</summary>
    public static void AssertDecodeLikePil(TestContext context, int minCount, params string[] extensions)
    {
        var images = All(extensions);
        Assert.IsGreaterThanOrEqualTo(minCount, images.Count, "the generator should produce every mode");
        var report = new StringBuilder();
        var failures = CompareAll(images, report);
        context.WriteLine(report.ToString());
        Assert.IsEmpty(failures, string.Join("\n", failures));
    }

    /// <summary>
    /// Decodes each image and compares with PIL: exact for lossless formats; for JPEG mean |diff| ≤ 1.5 and
    /// max ≤ 8 per channel (libjpeg's integer rounding is not ours bit for bit). Returns one line per failure.
    /// </summary>
    public static List<string> CompareAll(IEnumerable<TestImage> images, StringBuilder report)
    {
        var failures = new List<string>();
        foreach (TestImage t in images)
        {
            byte[] data = File.ReadAllBytes(t.Path);
            if (t.Compare == "unsupported")
            {
                try
                {
                    ImageDecoder.Decode(data);
                    failures.Add($"{t.Name}: decoded, expected UnsupportedImageException");
                }
                catch (UnsupportedImageException e)
                {
                    report.AppendLine($"{t.Name}: unsupported as expected ({e.Message})");
                }
                catch (Exception e)
                {
                    failures.Add($"{t.Name}: {e.GetType().Name} {e.Message}, expected UnsupportedImageException");
                }
                continue;
            }
            var (w, h, expected) = ReadReference(t.ReferencePath!);
            Image image;
            try
            {
                image = ImageDecoder.Decode(data);
            }
            catch (Exception e)
            {
                failures.Add($"{t.Name}: {e.GetType().Name}: {e.Message}");
                continue;
            }
            if (image.Width != w || image.Height != h)
            {
                failures.Add($"{t.Name}: size {image.Width}x{image.Height}, PIL {w}x{h}");
                continue;
            }
            long sum = 0;
            int max = 0, firstBad = -1;
            for (int i = 0; i < expected.Length; i++)
            {
                int d = Math.Abs(image.Rgba[i] - expected[i]);
                sum += d;
                if (d > max)
                {
                    max = d;
                }
                if (d != 0 && firstBad < 0)
                {
                    firstBad = i;
                }
            }
            double mean = (double)sum / expected.Length;
            report.AppendLine($"{t.Name}: mean |diff| {mean:F3}, max {max}");
            bool ok = t.Compare == "jpeg" ? mean <= 1.5 && max <= 8 : max == 0;
            if (!ok)
            {
                int px = firstBad / 4;
                failures.Add($"{t.Name}: mean |diff| {mean:F3}, max {max}; first difference at x={px % w}, y={px / w}, channel {firstBad % 4}: ours {image.Rgba[firstBad]}, PIL {expected[firstBad]}");
            }
        }
        return failures;
    }

    private static string Generate()
    {
        if (!File.Exists("/usr/bin/convert"))
        {
            throw new InvalidOperationException("/usr/bin/convert (ImageMagick) not found. Run scripts/install-test-deps.sh.");
        }
        string dir = NewTempDir("test-images");
        string script = TestPaths.Combine("tests", "Mnist.ML.Tests", "Imaging", "make-test-images.py");
        Run(TestPaths.SystemPython, script, dir);
        return dir;
    }

    /// <summary>Runs a reference tool and fails loudly (with its stderr) if it is missing or fails.</summary>
    public static void Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {exe}.");
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed ({p.ExitCode}). Needs python3-pil, python3-numpy, imagemagick (scripts/install-test-deps.sh).\n{stderr}\n{stdout.Result}");
        }
    }
}

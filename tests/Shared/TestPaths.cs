// Locates the repository, the MNIST data and the reference tools that tests need; fails loudly when missing.
namespace Mnist.ML.Testing;

internal static class TestPaths
{
    /// <summary>The repository root: the folder holding Mnist.ML.sln.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>data/mnist (or $MNIST_DATA), which scripts/fetch-mnist.sh fills.</summary>
    public static string MnistDir
    {
        get
        {
            string dir = Environment.GetEnvironmentVariable("MNIST_DATA") ?? Path.Combine(RepoRoot, "data", "mnist");
            if (!File.Exists(Path.Combine(dir, "train-images-idx3-ubyte")))
            {
                throw new InvalidOperationException($"MNIST data not found in {dir}. Run scripts/fetch-mnist.sh first (scripts/test.sh does).");
            }
            return dir;
        }
    }

    /// <summary>Debian's system python3 (the one with python3-torch / python3-onnx), not a pyenv shim.</summary>
    public static string SystemPython
    {
        get
        {
            const string path = "/usr/bin/python3";
            if (!File.Exists(path))
            {
                throw new InvalidOperationException("/usr/bin/python3 not found. Run scripts/install-test-deps.sh (scripts/test.sh does).");
            }
            return path;
        }
    }

    public static string Combine(params string[] parts) => Path.Combine([RepoRoot, .. parts]);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Mnist.ML.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Mnist.ML.sln not found above " + AppContext.BaseDirectory);
    }
}

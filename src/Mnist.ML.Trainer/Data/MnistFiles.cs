// The four canonical MNIST files: their names and the SHA-256 of their decompressed content.
using System.Security.Cryptography;

namespace Mnist.ML.Trainer.Data;

/// <summary>
/// Names and canonical SHA-256 hashes of the four original MNIST IDX files (hashes of the
/// decompressed content, identical for every mirror). Immutable; thread-safe.
/// </summary>
public static class MnistFiles
{
    /// <summary>train-images-idx3-ubyte: 60,000 training images.</summary>
    public const string TrainImages = "train-images-idx3-ubyte";

    /// <summary>train-labels-idx1-ubyte: 60,000 training labels.</summary>
    public const string TrainLabels = "train-labels-idx1-ubyte";

    /// <summary>t10k-images-idx3-ubyte: 10,000 test images.</summary>
    public const string TestImages = "t10k-images-idx3-ubyte";

    /// <summary>t10k-labels-idx1-ubyte: 10,000 test labels.</summary>
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>The four file names, training images first.</summary>
    public static IReadOnlyList<string> All { get; } = [TrainImages, TrainLabels, TestImages, TestLabels];

    /// <summary>Canonical SHA-256 (lower-case hex) of each file's decompressed content, by file name.</summary>
    public static IReadOnlyDictionary<string, string> Sha256 { get; } = new Dictionary<string, string>
    {
        [TrainImages] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        [TrainLabels] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        [TestImages] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        [TestLabels] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    };

    /// <summary>
    /// The path of <paramref name="name"/> in <paramref name="dir"/>: the raw file, else name.gz, else
    /// the dotted spelling some redistributions use (train-images.idx3-ubyte).
    /// </summary>
    /// <exception cref="FileNotFoundException">None of the spellings exists.</exception>
    public static string Locate(string dir, string name)
    {
        string dotted = name.Replace("-idx", ".idx", StringComparison.Ordinal);
        foreach (string candidate in (string[])[name, name + ".gz", dotted, dotted + ".gz"])
        {
            string path = Path.Combine(dir, candidate);
            if (File.Exists(path))
            {
                return path;
            }
        }
        throw new FileNotFoundException(
            $"{name} (or {name}.gz) not found in {dir}. Run scripts/fetch-mnist.sh (or 'mnist data fetch --dir {dir}') to get the MNIST files.",
            Path.Combine(dir, name));
    }

    /// <summary>SHA-256 (lower-case hex) of the decompressed content of <paramref name="path"/> (raw or gzip).</summary>
    public static async Task<string> ComputeSha256Async(string path, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return await ComputeSha256Async(file, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<string> ComputeSha256Async(Stream stream, CancellationToken cancellationToken)
    {
        Stream content = IdxReader.Decompressed(stream);
        try
        {
            byte[] hash = await SHA256.HashDataAsync(content, cancellationToken).ConfigureAwait(false);
            return Convert.ToHexStringLower(hash);
        }
        finally
        {
            if (!ReferenceEquals(content, stream))
            {
                await content.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}

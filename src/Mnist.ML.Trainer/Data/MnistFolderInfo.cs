// Describes an MNIST folder: whether each file is the canonical one (SHA-256), image counts and
// class balance. Behind 'mnist data info'.
namespace Mnist.ML.Trainer.Data;

/// <summary>
/// What an MNIST folder holds: each file's SHA-256 against the canonical hash, and the image count
/// and per-digit counts of the training and test sets. Every file is fully read and validated.
/// Immutable; thread-safe.
/// </summary>
/// <param name="Directory">The folder inspected.</param>
/// <param name="Files">The four files, in <see cref="MnistFiles.All"/> order.</param>
/// <param name="Train">The training set (train-*).</param>
/// <param name="Test">The test set (t10k-*).</param>
public sealed record MnistFolderInfo(string Directory, IReadOnlyList<MnistFileCheck> Files, MnistSetInfo Train, MnistSetInfo Test)
{
    /// <summary>True when all four files have their canonical SHA-256.</summary>
    public bool AllMatchCanonical => Files.All(f => f.MatchesCanonical);

    /// <summary>Reads and checks the four MNIST files (raw or .gz) in <paramref name="dir"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="DatasetFormatException">A file is malformed, or images and labels disagree in count.</exception>
    public static async Task<MnistFolderInfo> InspectAsync(string dir, CancellationToken cancellationToken = default)
    {
        MnistDataset.RequireFolder(dir);
        var files = new List<MnistFileCheck>();
        foreach (string name in MnistFiles.All)
        {
            string path = MnistFiles.Locate(dir, name);
            string sha;
            try
            {
                sha = await MnistFiles.ComputeSha256Async(path, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException e)
            {
                throw new DatasetFormatException(path, $"the gzip data is corrupt ({e.Message}).", e);
            }
            files.Add(new MnistFileCheck(name, path, sha, MnistFiles.Sha256[name]));
        }
        return new MnistFolderInfo(dir, files, Describe(files[0].Path, files[1].Path), Describe(files[2].Path, files[3].Path));
    }

    private static MnistSetInfo Describe(string imagesPath, string labelsPath)
    {
        (_, byte[] labels) = MnistDataset.ReadPair(imagesPath, labelsPath);
        var counts = new int[10];
        foreach (byte label in labels)
        {
            counts[label]++;
        }
        return new MnistSetInfo(labels.Length, counts);
    }
}

/// <summary>One MNIST file and its SHA-256 (of the decompressed content) next to the canonical one. Immutable.</summary>
/// <param name="Name">Canonical file name, e.g. train-images-idx3-ubyte.</param>
/// <param name="Path">Where it was found (may end in .gz).</param>
/// <param name="Sha256">SHA-256 of its decompressed content, lower-case hex.</param>
/// <param name="CanonicalSha256">The canonical SHA-256 for this file.</param>
public sealed record MnistFileCheck(string Name, string Path, string Sha256, string CanonicalSha256)
{
    /// <summary>True when the file is byte-for-byte the canonical MNIST file.</summary>
    public bool MatchesCanonical => Sha256 == CanonicalSha256;
}

/// <summary>Size and class balance of one MNIST set. Immutable.</summary>
/// <param name="Count">Number of images (equal to the number of labels).</param>
/// <param name="ClassCounts">Images per digit, index 0..9.</param>
public sealed record MnistSetInfo(int Count, IReadOnlyList<int> ClassCounts);

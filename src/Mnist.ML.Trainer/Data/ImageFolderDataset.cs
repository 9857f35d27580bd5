// Loads a folder-per-class image data set (root/0/*.png ... root/9/*.jpg) through a preprocessing
// function that turns an image file into a 28x28 MNIST-style tensor (by default MnistPreprocessor,
// the same pipeline prediction uses, so training and inference see digits alike).
using Mnist.ML.Imaging;

namespace Mnist.ML.Trainer.Data;

/// <summary>
/// Loads labelled images laid out one folder per digit: root/0/..., root/1/..., root/9/... . Each
/// file goes through a preprocessing function (image bytes to 784 floats in MNIST convention);
/// sub-folders not named 0..9, nested folders and hidden files (leading '.') are ignored. Files are
/// read in ordinal name order, digit by digit, so the result is the same on every machine.
/// Stateless and thread-safe as long as the preprocessing function is.
/// </summary>
public static class ImageFolderDataset
{
    /// <summary>
    /// Loads root/0 ... root/9: each file (PNG, JPEG, BMP, GIF) is decoded and preprocessed by
    /// <see cref="MnistPreprocessor"/>, exactly as prediction does.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The root folder does not exist.</exception>
    /// <exception cref="DatasetFormatException">No digit folder or image exists, or an image cannot be decoded or holds no ink; the message names the file.</exception>
    public static DigitDataset Load(string root) => Load(root, PreprocessImage);

    /// <summary>Loads root/0 ... root/9, turning each file into 784 floats with <paramref name="preprocess"/>.</summary>
    /// <param name="root">The folder holding the digit folders.</param>
    /// <param name="preprocess">Image file content to 784 floats, 0..1, ink bright (MNIST convention).</param>
    /// <exception cref="DirectoryNotFoundException">The root folder does not exist.</exception>
    /// <exception cref="DatasetFormatException">No digit folder or image exists, or an image cannot be read; the message names the file.</exception>
    public static DigitDataset Load(string root, Func<Stream, float[]> preprocess)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentNullException.ThrowIfNull(preprocess);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Image folder {root} does not exist; expected sub-folders 0 to 9 holding images of each digit.");
        }

        var images = new List<float>();
        var labels = new List<byte>();
        for (byte digit = 0; digit <= 9; digit++)
        {
            string folder = Path.Combine(root, digit.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!Directory.Exists(folder))
            {
                continue;
            }
            string[] files = Directory.GetFiles(folder);
            Array.Sort(files, StringComparer.Ordinal);
            foreach (string file in files)
            {
                if (Path.GetFileName(file).StartsWith('.'))
                {
                    continue;
                }
                images.AddRange(Preprocess(file, preprocess));
                labels.Add(digit);
            }
        }
        if (labels.Count == 0)
        {
            throw new DatasetFormatException(root, "holds no images; expected sub-folders 0 to 9 holding images of each digit.");
        }
        return new DigitDataset([.. images], [.. labels]);
    }

    private static float[] PreprocessImage(Stream image)
    {
        PreprocessedDigit digit = MnistPreprocessor.Preprocess(image);
        if (!digit.HasInk)
        {
            // A blank image labelled as a digit would teach the model noise.
            throw new InvalidDataException("no digit found (the image is blank)");
        }
        return digit.Pixels.ToArray();
    }

    private static float[] Preprocess(string file, Func<Stream, float[]> preprocess)
    {
        float[] pixels;
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
            pixels = preprocess(stream);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // The preprocessor's own exception type says what is wrong with the image; name the file too.
            throw new DatasetFormatException(file, $"cannot be read as an image: {e.Message}", e);
        }
        if (pixels is null || pixels.Length != DigitDataset.ImageSize)
        {
            throw new DatasetFormatException(file, $"preprocessing returned {pixels?.Length ?? 0} values; expected {DigitDataset.ImageSize} (28x28).");
        }
        return pixels;
    }
}

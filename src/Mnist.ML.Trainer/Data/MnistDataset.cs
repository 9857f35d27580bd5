// Loads the MNIST training and test sets from a folder of the four original IDX files.
namespace Mnist.ML.Trainer.Data;

/// <summary>
/// Loads MNIST from a folder holding the original IDX files (as scripts/fetch-mnist.sh or
/// 'mnist data fetch' leave them), raw or .gz. Stateless and thread-safe.
/// </summary>
/// <example><code>
/// DigitDataset train = MnistDataset.LoadTrain("data/mnist"); // 60,000 images
/// DigitDataset test = MnistDataset.LoadTest("data/mnist");   // 10,000 images
/// </code></example>
public static class MnistDataset
{
    /// <summary>Loads the 60,000 training images from train-images-idx3-ubyte / train-labels-idx1-ubyte (or their .gz) in <paramref name="dir"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing from <paramref name="dir"/>.</exception>
    /// <exception cref="DatasetFormatException">A file is malformed, or images and labels disagree in count.</exception>
    public static DigitDataset LoadTrain(string dir) => LoadPair(dir, MnistFiles.TrainImages, MnistFiles.TrainLabels);

    /// <summary>Loads the 10,000 test images from t10k-images-idx3-ubyte / t10k-labels-idx1-ubyte (or their .gz) in <paramref name="dir"/>.</summary>
    /// <exception cref="FileNotFoundException">A file is missing from <paramref name="dir"/>.</exception>
    /// <exception cref="DatasetFormatException">A file is malformed, or images and labels disagree in count.</exception>
    public static DigitDataset LoadTest(string dir) => LoadPair(dir, MnistFiles.TestImages, MnistFiles.TestLabels);

    /// <summary>Loads an IDX image file and its IDX label file (each raw or .gz) as one data set.</summary>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="DatasetFormatException">A file is malformed, or images and labels disagree in count.</exception>
    public static DigitDataset Load(string imagesPath, string labelsPath)
    {
        (byte[] pixels, byte[] labels) = ReadPair(imagesPath, labelsPath);
        return new DigitDataset(Pixels.ToUnitFloats(pixels), labels);
    }

    /// <summary>The raw pixel bytes and labels of an image file and its label file, checked to agree in count.</summary>
    internal static (byte[] Pixels, byte[] Labels) ReadPair(string imagesPath, string labelsPath)
    {
        byte[] labels = IdxReader.ReadLabels(labelsPath);
        byte[] pixels = IdxReader.ReadImages(imagesPath);
        int images = pixels.Length / DigitDataset.ImageSize;
        if (images != labels.Length)
        {
            throw new DatasetFormatException(imagesPath, $"holds {images} images but {labelsPath} holds {labels.Length} labels; they must match one to one.");
        }
        return (pixels, labels);
    }

    private static DigitDataset LoadPair(string dir, string imagesName, string labelsName)
    {
        RequireFolder(dir);
        return Load(MnistFiles.Locate(dir, imagesName), MnistFiles.Locate(dir, labelsName));
    }

    internal static void RequireFolder(string dir)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException($"MNIST folder {dir} does not exist. Run scripts/fetch-mnist.sh (or 'mnist data fetch --dir {dir}') to create it.");
        }
    }
}

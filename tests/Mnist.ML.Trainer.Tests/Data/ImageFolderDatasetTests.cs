// Folder-per-class data sets: labels from folder names, stable order, and errors naming the file.
using Mnist.ML.Imaging;
using Mnist.ML.Testing;
using Mnist.ML.Trainer.Data;

namespace Mnist.ML.Trainer.Tests.Data;

[TestClass]
public sealed class ImageFolderDatasetTests
{
    // A stand-in preprocessor: the file's first byte becomes every pixel (divided by 255).
    private static float[] FirstByte(Stream stream)
    {
        int b = stream.ReadByte();
        if (b < 0)
        {
            throw new InvalidDataException("empty image");
        }
        return Enumerable.Repeat(b / 255f, DigitDataset.ImageSize).ToArray();
    }

    [TestMethod]
    public void LabelsComeFromFolderNamesInStableOrder()
    {
        using var dir = new TempDir();
        Write(dir, "3/b.png", 30);
        Write(dir, "3/a.png", 31);
        Write(dir, "0/x.png", 0);
        Write(dir, "7/.hidden", 99);
        Write(dir, "notes/readme.png", 99);

        DigitDataset set = ImageFolderDataset.Load(dir.Path, FirstByte);

        CollectionAssert.AreEqual(new byte[] { 0, 3, 3 }, set.Labels.ToArray());
        CollectionAssert.AreEqual(new[] { 0f, 31 / 255f, 30 / 255f }, new[] { set.Image(0)[0], set.Image(1)[0], set.Image(2)[0] });
    }

    [TestMethod]
    public void UnreadableImageNamesFile()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("5"));
        File.WriteAllBytes(dir.File("5/broken.png"), []);

        var e = Assert.Throws<DatasetFormatException>(() => ImageFolderDataset.Load(dir.Path, FirstByte));

        StringAssert.Contains(e.Message, "broken.png");
        StringAssert.Contains(e.Message, "empty image");
    }

    [TestMethod]
    public void WrongTensorSizeIsRejected()
    {
        using var dir = new TempDir();
        Write(dir, "1/a.png", 1);

        var e = Assert.Throws<DatasetFormatException>(() => ImageFolderDataset.Load(dir.Path, _ => new float[10]));

        StringAssert.Contains(e.Message, "10 values; expected 784");
    }

    [TestMethod]
    public void FolderWithoutDigitFoldersIsRejected()
    {
        using var dir = new TempDir();
        Write(dir, "cats/a.png", 1);

        var e = Assert.Throws<DatasetFormatException>(() => ImageFolderDataset.Load(dir.Path, FirstByte));

        StringAssert.Contains(e.Message, "no images");
    }

    [TestMethod]
    public void MissingRootIsDirectoryNotFound()
    {
        Assert.Throws<DirectoryNotFoundException>(() => ImageFolderDataset.Load("/nonexistent/digits", FirstByte));
    }

    [TestMethod]
    public void RealPreprocessorTurnsPngsBackIntoTheirMnistDigits()
    {
        // MNIST test digits 0 (a 7) and 1 (a 2) as PNGs: one as MNIST stores it, one as dark ink on
        // white paper. MNIST digits are already preprocessed, so the pipeline must give them back.
        using var dir = new TempDir();
        DigitDataset mnist = MnistDataset.LoadTest(TestPaths.MnistDir).Take(2);
        WritePng(dir, "7/as-stored.png", mnist.Image(0), invert: false);
        WritePng(dir, "2/ink-on-paper.png", mnist.Image(1), invert: true);

        DigitDataset set = ImageFolderDataset.Load(dir.Path);

        CollectionAssert.AreEqual(new byte[] { 2, 7 }, set.Labels.ToArray());
        Assert.IsLessThan(0.01, MeanAbsDiff(set.Image(0), mnist.Image(1)));
        Assert.IsLessThan(0.01, MeanAbsDiff(set.Image(1), mnist.Image(0)));
    }

    [TestMethod]
    public void RealPreprocessorNamesCorruptAndBlankImages()
    {
        using var dir = new TempDir();
        Write(dir, "4/corrupt.png", 0x89);
        var corrupt = Assert.Throws<DatasetFormatException>(() => ImageFolderDataset.Load(dir.Path));
        StringAssert.Contains(corrupt.Message, "corrupt.png");

        File.Delete(dir.File("4/corrupt.png"));
        WritePng(dir, "4/blank.png", new float[DigitDataset.ImageSize], invert: false);
        var blank = Assert.Throws<DatasetFormatException>(() => ImageFolderDataset.Load(dir.Path));
        StringAssert.Contains(blank.Message, "blank.png");
        StringAssert.Contains(blank.Message, "blank");
    }

    private static void WritePng(TempDir dir, string relative, ReadOnlySpan<float> pixels, bool invert)
    {
        var gray = new byte[pixels.Length];
        for (int i = 0; i < gray.Length; i++)
        {
            byte value = (byte)MathF.Round(pixels[i] * 255f);
            gray[i] = invert ? (byte)(255 - value) : value;
        }
        string path = dir.File(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, PngEncoder.EncodeGray8(gray, 28, 28));
    }

    private static double MeanAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }
        return sum / a.Length;
    }

    private static void Write(TempDir dir, string relative, byte firstByte)
    {
        string path = dir.File(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [firstByte, 1, 2]);
    }
}

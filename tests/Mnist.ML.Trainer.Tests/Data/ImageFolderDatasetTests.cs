// Folder-per-class data sets: labels from folder names, stable order, and errors naming the file.
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

    private static void Write(TempDir dir, string relative, byte firstByte)
    {
        string path = dir.File(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [firstByte, 1, 2]);
    }
}

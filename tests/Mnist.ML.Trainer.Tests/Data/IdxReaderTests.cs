// IDX parsing: valid raw and gzip files, and every malformed file a user can hand us.
using Mnist.ML.Testing;
using Mnist.ML.Trainer.Data;

namespace Mnist.ML.Trainer.Tests.Data;

[TestClass]
public sealed class IdxReaderTests
{
    [TestMethod]
    public void ReadsImagesAndLabelsRaw()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("img"), IdxFiles.Images(3));
        File.WriteAllBytes(dir.File("lbl"), IdxFiles.Labels([4, 0, 9]));

        byte[] pixels = IdxReader.ReadImages(dir.File("img"));
        byte[] labels = IdxReader.ReadLabels(dir.File("lbl"));

        Assert.HasCount(3 * 784, pixels);
        Assert.AreEqual((byte)((2 * 7 + 100) % 256), pixels[2 * 784 + 100]);
        CollectionAssert.AreEqual(new byte[] { 4, 0, 9 }, labels);
    }

    [TestMethod]
    public void ReadsGzipRecognisedByContentNotName()
    {
        using var dir = new TempDir();
        byte[] raw = IdxFiles.Images(2);
        File.WriteAllBytes(dir.File("images-without-gz-suffix"), LoopbackMirror.Gzip(raw));

        byte[] pixels = IdxReader.ReadImages(dir.File("images-without-gz-suffix"));

        CollectionAssert.AreEqual(raw[16..], pixels);
    }

    [TestMethod]
    public void ReadsFromNonSeekableStream()
    {
        byte[] gz = LoopbackMirror.Gzip(IdxFiles.Labels([1, 2, 3]));
        using var stream = new NonSeekableStream(gz);

        CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, IdxReader.ReadLabels(stream, "labels.gz"));
    }

    [TestMethod]
    public void TruncatedImagesNameFileAndShortfall()
    {
        using var dir = new TempDir();
        byte[] full = IdxFiles.Images(10);
        File.WriteAllBytes(dir.File("short"), full[..(full.Length - 100)]);

        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadImages(dir.File("short")));

        Assert.AreEqual(dir.File("short"), e.FilePath);
        StringAssert.Contains(e.Message, dir.File("short"));
        StringAssert.Contains(e.Message, "truncated");
        StringAssert.Contains(e.Message, "10 images");
    }

    [TestMethod]
    public void TruncatedGzipIsAFormatError()
    {
        using var dir = new TempDir();
        byte[] gz = LoopbackMirror.Gzip(IdxFiles.Images(50));
        File.WriteAllBytes(dir.File("cut.gz"), gz[..(gz.Length / 2)]);

        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadImages(dir.File("cut.gz")));

        StringAssert.Contains(e.Message, dir.File("cut.gz"));
    }

    [TestMethod]
    public void FileShorterThanHeader()
    {
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadLabels(new MemoryStream([0, 0, 8]), "tiny"));

        StringAssert.Contains(e.Message, "tiny: truncated");
        StringAssert.Contains(e.Message, "header");
    }

    [TestMethod]
    public void LabelFileGivenAsImagesSaysSo()
    {
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadImages(new MemoryStream(IdxFiles.Labels([1, 2])), "swapped"));

        StringAssert.Contains(e.Message, "0x00000801");
        StringAssert.Contains(e.Message, "label file");
    }

    [TestMethod]
    public void WrongMagicIsRejected()
    {
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadImages(new MemoryStream(IdxFiles.Images(1, magic: 0x00000D03)), "floats"));

        StringAssert.Contains(e.Message, "wrong magic number 0x00000D03");
    }

    [TestMethod]
    public void ImagesThatAreNot28x28AreRejected()
    {
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadImages(new MemoryStream(IdxFiles.Images(2, rows: 32, cols: 32)), "cifar"));

        StringAssert.Contains(e.Message, "32x32");
    }

    [TestMethod]
    public void TrailingBytesAreRejected()
    {
        byte[] labels = IdxFiles.Labels([1, 2, 3, 4], declaredCount: 3);

        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadLabels(new MemoryStream(labels), "long"));

        StringAssert.Contains(e.Message, "after the 3 labels");
    }

    [TestMethod]
    public void NegativeCountIsRejected()
    {
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadLabels(new MemoryStream(IdxFiles.Labels([1], declaredCount: -5)), "neg"));

        StringAssert.Contains(e.Message, "-5");
    }

    [TestMethod]
    public void LabelAboveNineIsRejected()
    {
        var e = Assert.Throws<DatasetFormatException>(() => IdxReader.ReadLabels(new MemoryStream(IdxFiles.Labels([1, 12, 3])), "bad"));

        StringAssert.Contains(e.Message, "label 1 is 12");
    }

    [TestMethod]
    public void MissingFileIsFileNotFoundPointingToFetchScript()
    {
        var e = Assert.Throws<FileNotFoundException>(() => IdxReader.ReadImages("/nonexistent/train-images-idx3-ubyte"));

        StringAssert.Contains(e.Message, "scripts/fetch-mnist.sh");
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Position { get => base.Position; set => throw new NotSupportedException(); }

        public override long Seek(long offset, SeekOrigin loc) => throw new NotSupportedException();
    }
}

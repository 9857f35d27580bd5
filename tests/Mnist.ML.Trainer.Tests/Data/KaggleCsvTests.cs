// Kaggle Digit Recognizer CSV: labelled and unlabelled files, gzip, and errors that name the line.
using System.Text;
using Mnist.ML.Testing;
using Mnist.ML.Trainer.Data;

namespace Mnist.ML.Trainer.Tests.Data;

[TestClass]
public sealed class KaggleCsvTests
{
    private static readonly string LabelledHeader = "label," + string.Join(',', Enumerable.Range(0, 784).Select(i => $"pixel{i}"));
    private static readonly string UnlabelledHeader = string.Join(',', Enumerable.Range(0, 784).Select(i => $"pixel{i}"));

    [TestMethod]
    public void LoadsLabelledFile()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("train.csv"), Csv(LabelledHeader, Row(label: 3, ink: 255), Row(label: 9, ink: 51)));

        DigitDataset set = KaggleCsv.Load(dir.File("train.csv"));

        Assert.AreEqual(2, set.Count);
        CollectionAssert.AreEqual(new byte[] { 3, 9 }, set.Labels.ToArray());
        Assert.AreEqual(1f, set.Image(0)[400]);
        Assert.AreEqual(0.2f, set.Image(1)[400]);
        Assert.AreEqual(0f, set.Image(1)[0]);
    }

    [TestMethod]
    public void LoadsUnlabelledFileWithUnknownLabels()
    {
        DigitDataset set = KaggleCsv.Load(Stream(Csv(UnlabelledHeader, Row(label: null, ink: 10))), "test.csv");

        Assert.AreEqual(1, set.Count);
        Assert.AreEqual(KaggleCsv.Unlabelled, set.Labels[0]);
    }

    [TestMethod]
    public void LoadsGzippedFileAndSkipsBlankLinesAndBom()
    {
        byte[] gz = LoopbackMirror.Gzip(Encoding.UTF8.GetBytes("\uFEFF" + Csv(LabelledHeader, Row(label: 1, ink: 1), "", Row(label: 2, ink: 2), "")));

        DigitDataset set = KaggleCsv.Load(new MemoryStream(gz), "train.csv.gz");

        CollectionAssert.AreEqual(new byte[] { 1, 2 }, set.Labels.ToArray());
    }

    [TestMethod]
    public void ShortRowNamesLine()
    {
        var e = Assert.Throws<DatasetFormatException>(() =>
            KaggleCsv.Load(Stream(Csv(LabelledHeader, Row(label: 1, ink: 1), "4,0,0,0")), "train.csv"));

        Assert.AreEqual(3, e.LineNumber);
        StringAssert.StartsWith(e.Message, "train.csv, line 3: 4 values; expected 785");
    }

    [TestMethod]
    public void LongRowNamesLine()
    {
        var e = Assert.Throws<DatasetFormatException>(() =>
            KaggleCsv.Load(Stream(Csv(UnlabelledHeader, Row(label: 1, ink: 1))), "test.csv"));

        Assert.AreEqual(2, e.LineNumber);
        StringAssert.Contains(e.Message, "more than 784 values");
    }

    [TestMethod]
    [DataRow("256", "'256', not an integer 0..255")]
    [DataRow("-1", "'-1', not an integer 0..255")]
    [DataRow("abc", "'abc', not an integer 0..255")]
    [DataRow("1.5", "'1.5', not an integer 0..255")]
    public void BadPixelNamesLineAndColumn(string value, string expected)
    {
        string row = Row(label: 1, ink: 1);
        row = row[..row.LastIndexOf(',')] + "," + value;

        var e = Assert.Throws<DatasetFormatException>(() => KaggleCsv.Load(Stream(Csv(LabelledHeader, row)), "train.csv"));

        StringAssert.Contains(e.Message, "line 2: column 785 is " + expected);
    }

    [TestMethod]
    public void LabelAboveNineIsRejected()
    {
        var e = Assert.Throws<DatasetFormatException>(() => KaggleCsv.Load(Stream(Csv(LabelledHeader, Row(label: 12, ink: 1))), "train.csv"));

        StringAssert.Contains(e.Message, "line 2: label 12");
    }

    [TestMethod]
    public void WrongHeaderIsRejected()
    {
        var e = Assert.Throws<DatasetFormatException>(() => KaggleCsv.Load(Stream(Csv("id,x,y", "1,2,3")), "other.csv"));

        Assert.AreEqual(1, e.LineNumber);
        StringAssert.Contains(e.Message, "header column 1 is 'id'");
    }

    [TestMethod]
    public void EmptyFileIsRejected()
    {
        var e = Assert.Throws<DatasetFormatException>(() => KaggleCsv.Load(new MemoryStream(), "empty.csv"));

        StringAssert.Contains(e.Message, "empty");
    }

    private static string Row(int? label, int ink)
    {
        IEnumerable<int> pixels = Enumerable.Range(0, 784).Select(i => i == 400 ? ink : 0);
        return string.Join(',', label is int l ? pixels.Prepend(l) : pixels);
    }

    private static string Csv(params string[] lines) => string.Join('\n', lines);

    private static MemoryStream Stream(string text) => new(Encoding.UTF8.GetBytes(text));
}

// Reader/writer: files round-trip byte for byte through our proto subset, tensors read the same from
// raw_data and typed fields, and malformed or truncated files fail with OnnxModelException.
using Google.Protobuf;
using Mnist.ML.Onnx;
using Mnist.ML.Onnx.Proto;

namespace Mnist.ML.Tests.Onnx;

[TestClass]
public sealed class OnnxModelFileTests
{
    private const string NodeTests = "/usr/share/libonnx-testdata/data/node";

    [TestMethod]
    [DataRow("lenet5")]
    [DataRow("cnn3")]
    public void PyTorchModelRoundTripsByteForByteAndRunsTheSame(string name)
    {
        string path = Path.Combine(ReferenceTools.TorchModels, name + ".onnx");
        byte[] original = File.ReadAllBytes(path);
        ModelProto model = OnnxModelFile.Read(original);
        byte[] written = OnnxModelFile.Write(model);
        CollectionAssert.AreEqual(original, written, "PyTorch's file uses only fields in our subset, so it must re-serialise identically");

        float[] images = ReferenceTools.MnistTestImages(16);
        var a = OnnxModel.Load(original).Run(images, [16, 1, 28, 28]);
        var b = OnnxModel.Load(written).Run(images, [16, 1, 28, 28]);
        CollectionAssert.AreEqual(a[0].Floats, b[0].Floats);
    }

    [TestMethod]
    [DataRow("test_conv_with_strides_padding")]
    [DataRow("test_gemm_all_attributes")]
    [DataRow("test_reshape_negative_dim")]
    public void NodeTestModelsSurviveReadWriteRead(string test)
    {
        ModelProto first = OnnxModelFile.Read(Path.Combine(NodeTests, test, "model.onnx"));
        ModelProto second = OnnxModelFile.Read(OnnxModelFile.Write(first));
        Assert.AreEqual(first, second);
        Assert.AreEqual(first.Graph.Node.Count, second.Graph.Node.Count);
    }

    [TestMethod]
    public void TensorsReadTheSameFromRawDataAndTypedFields()
    {
        float[] values = [1.5f, -2f, 3.25f, float.MaxValue, 0f, -0f];
        var raw = new OnnxTensor([2, 3], values).ToProto("w");
        Assert.IsTrue(raw.HasRawData);
        var typed = new TensorProto { Name = "w", DataType = (int)TensorProto.Types.DataType.Float };
        typed.Dims.AddRange([2, 3]);
        typed.FloatData.AddRange(values);
        CollectionAssert.AreEqual(values, OnnxTensor.FromProto(raw).Floats);
        CollectionAssert.AreEqual(values, OnnxTensor.FromProto(typed).Floats);

        var int64 = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int64 };
        int64.Dims.Add(3);
        int64.Int64Data.AddRange([-1, 0, long.MaxValue]);
        CollectionAssert.AreEqual(new long[] { -1, 0, long.MaxValue }, OnnxTensor.FromProto(int64).Longs);
        CollectionAssert.AreEqual(new long[] { -1, 0, long.MaxValue }, OnnxTensor.FromProto(new OnnxTensor([3], [-1L, 0, long.MaxValue]).ToProto("s")).Longs);

        var int32 = new TensorProto { DataType = (int)TensorProto.Types.DataType.Int32, RawData = ByteString.CopyFrom(BitConverter.GetBytes(-7)) };
        int32.Dims.Add(1);
        CollectionAssert.AreEqual(new long[] { -7 }, OnnxTensor.FromProto(int32).Longs);
    }

    [TestMethod]
    public void TensorWithTooFewValuesOrAnUnsupportedTypeIsRejected()
    {
        var shortRaw = new TensorProto { Name = "fc.weight", DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(new byte[10]) };
        shortRaw.Dims.AddRange([2, 2]);
        StringAssert.Contains(Assert.ThrowsExactly<OnnxModelException>(() => OnnxTensor.FromProto(shortRaw)).Message, "fc.weight");

        var dbl = new TensorProto { Name = "d", DataType = (int)TensorProto.Types.DataType.Double };
        dbl.DoubleData.Add(1);
        StringAssert.Contains(Assert.ThrowsExactly<OnnxModelException>(() => OnnxTensor.FromProto(dbl)).Message, "DOUBLE");
    }

    [TestMethod]
    public void EmptyGarbageAndTruncatedFilesFailWithOnnxModelException()
    {
        Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.Load(Array.Empty<byte>()));
        Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.Load("not an onnx file at all"u8.ToArray()));
        var random = new byte[4096];
        new Random(42).NextBytes(random);
        Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.Load(random));

        byte[] full = File.ReadAllBytes(Path.Combine(ReferenceTools.TorchModels, "lenet5.onnx"));
        int checkedCount = 0;
        for (int length = 1; length < full.Length; length += length < 512 ? 1 : 997)
        {
            byte[] cut = full.AsSpan(0, length).ToArray();
            Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.Load(cut), $"truncated to {length} of {full.Length} bytes");
            checkedCount++;
        }
        Assert.IsGreaterThan(700, checkedCount);
    }

    [TestMethod]
    public void LoadFromPathStreamAndBytesAgree()
    {
        string path = Path.Combine(ReferenceTools.TorchModels, "lenet5.onnx");
        using var stream = File.OpenRead(path);
        var models = new[] { OnnxModel.Load(path), OnnxModel.Load(stream), OnnxModel.Load(File.ReadAllBytes(path)) };
        float[] image = ReferenceTools.MnistTestImages(1);
        var outputs = models.Select(m => m.Run(image, [1, 1, 28, 28])[0].Floats!).ToArray();
        CollectionAssert.AreEqual(outputs[0], outputs[1]);
        CollectionAssert.AreEqual(outputs[0], outputs[2]);
        Assert.ThrowsExactly<FileNotFoundException>(() => OnnxModel.Load(Path.Combine(ReferenceTools.TorchModels, "missing.onnx")));
    }
}

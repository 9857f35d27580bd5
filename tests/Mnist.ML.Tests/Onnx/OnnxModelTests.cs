// OnnxModel's contract: metadata and dynamic-batch shapes exposed, load-time errors that name the node
// and operator, concurrent Run from many threads, buffer reuse in the plan, and the pinned public API.
using System.Reflection;
using Mnist.ML.Onnx;
using Mnist.ML.Onnx.Proto;

namespace Mnist.ML.Tests.Onnx;

[TestClass]
public sealed class OnnxModelTests
{
    /// <summary>A two-node graph input -> node(op) -> Relu -> output, for error tests.</summary>
    private static OnnxModelBuilder Tiny(string opType, string nodeName, int opset = 13, params (string, object)[] attributes)
    {
        var b = new OnnxModelBuilder("tiny", opset);
        b.AddInput("input", [null, 4], ["batch"]);
        b.AddNode(opType, ["input"], ["hidden"], nodeName, attributes);
        b.AddNode("Relu", ["hidden"], ["output"], "relu");
        b.AddOutput("output", [null, 4], ["batch"]);
        return b;
    }

    [TestMethod]
    public void ExposesInputsOutputsAndMetadata()
    {
        var b = Tiny("Sigmoid", "sig");
        b.AddMetadata("architecture", "tiny");
        b.AddMetadata("test_accuracy", "0.99");
        var model = OnnxModel.FromProto(b.Build());
        Assert.AreEqual("input", model.Inputs[0].Name);
        Assert.AreEqual("float32", model.Inputs[0].ElementType);
        CollectionAssert.AreEqual(new int?[] { null, 4 }, model.Inputs[0].Dimensions!.ToArray());
        Assert.AreEqual("batch", model.Inputs[0].DimensionNames![0]);
        Assert.AreEqual("input: float32[batch,4]", model.Inputs[0].ToString());
        Assert.AreEqual("output", model.Outputs[0].Name);
        Assert.AreEqual("tiny", model.Metadata["architecture"]);
        Assert.AreEqual("0.99", model.Metadata["test_accuracy"]);
        Assert.AreEqual(13, model.OpsetVersion);
        Assert.AreEqual("Mnist.ML", model.ProducerName);

        var torch = OnnxModel.Load(Path.Combine(ReferenceTools.TorchModels, "cnn3.onnx"));
        Assert.AreEqual("input: float32[batch,1,28,28]", torch.Inputs[0].ToString());
        Assert.AreEqual("probabilities: float32[batch,10]", torch.Outputs[1].ToString());
    }

    [TestMethod]
    public void UnsupportedOperatorFailsAtLoadNamingNodeAndOperator()
    {
        var e = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.FromProto(Tiny("LSTM", "encoder_rnn").Build()));
        Assert.AreEqual("encoder_rnn", e.NodeName);
        Assert.AreEqual("LSTM", e.OperatorType);
        StringAssert.Contains(e.Message, "encoder_rnn");
        StringAssert.Contains(e.Message, "LSTM");
        StringAssert.Contains(e.Message, "Supported operators: ");

        var bytes = OnnxModelFile.Write(Tiny("Erf", "gelu_part").Build());
        var fromFile = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.Load(bytes));
        Assert.AreEqual("gelu_part", fromFile.NodeName);
    }

    [TestMethod]
    public void UnsupportedAttributeOpsetDomainAndTypeFailAtLoad()
    {
        var group = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.FromProto(Tiny("LeakyRelu", "lrelu", 13, ("beta", 1f)).Build()));
        Assert.AreEqual("lrelu", group.NodeName);
        StringAssert.Contains(group.Message, "'beta'");

        var opset = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.FromProto(Tiny("Relu", "r", 99).Build()));
        StringAssert.Contains(opset.Message, "opset 99");

        var proto = Tiny("Relu", "custom").Build();
        proto.Graph.Node[0].Domain = "com.example";
        Assert.AreEqual("custom", Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.FromProto(proto)).NodeName);

        var dbl = Tiny("Relu", "r").Build();
        dbl.Graph.Input[0].Type.TensorType.ElemType = (int)TensorProto.Types.DataType.Double;
        StringAssert.Contains(Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.FromProto(dbl)).Message, "DOUBLE");
    }

    [TestMethod]
    public void GroupedConvolutionAndShapeErrorsFailAtLoadNotAtRun()
    {
        var b = new OnnxModelBuilder("conv");
        b.AddInput("input", [null, 2, 8, 8]);
        b.AddInitializer("w", new OnnxTensor([2, 1, 3, 3], new float[18]));
        b.AddNode("Conv", ["input", "w"], ["output"], "depthwise", ("group", 2L));
        b.AddOutput("output", [null, 2, 6, 6]);
        var e = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.FromProto(b.Build()));
        Assert.AreEqual("depthwise", e.NodeName);
        StringAssert.Contains(e.Message, "group=2");

        var mismatch = new OnnxModelBuilder("gemm");
        mismatch.AddInput("input", [null, 5]);
        mismatch.AddInitializer("w", new OnnxTensor([4, 3], new float[12]));
        mismatch.AddNode("Gemm", ["input", "w"], ["output"], "fc1");
        mismatch.AddOutput("output", [null, 3]);
        var shape = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.FromProto(mismatch.Build()));
        Assert.AreEqual("fc1", shape.NodeName);
        Assert.AreEqual("Gemm", shape.OperatorType);
    }

    [TestMethod]
    public void DanglingInputIsReportedWithTheNode()
    {
        var b = new OnnxModelBuilder("g");
        b.AddInput("input", [null, 4]);
        b.AddNode("Add", ["input", "bias_that_was_cut_off"], ["output"], "add_bias");
        b.AddOutput("output", [null, 4]);
        var e = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.FromProto(b.Build()));
        Assert.AreEqual("add_bias", e.NodeName);
        StringAssert.Contains(e.Message, "bias_that_was_cut_off");
    }

    [TestMethod]
    public void WrongInputShapeIsAnArgumentError()
    {
        var model = OnnxModel.Load(Path.Combine(ReferenceTools.TorchModels, "lenet5.onnx"));
        Assert.ThrowsExactly<ArgumentException>(() => model.Run(new float[784], [1, 28, 28]));
        Assert.ThrowsExactly<ArgumentException>(() => model.Run(new float[784], [1, 1, 28, 27]));
        Assert.ThrowsExactly<ArgumentException>(() => model.Run(new float[783], [1, 1, 28, 28]));
    }

    [TestMethod]
    public void ConcurrentRunsFromManyThreadsGiveTheSequentialResults()
    {
        var model = OnnxModel.Load(Path.Combine(ReferenceTools.TorchModels, "cnn3.onnx"));
        float[] images = ReferenceTools.MnistTestImages(64);
        int[] sizes = [1, 3, 8, 64];
        var expected = sizes.Select(n => model.Run(images.AsSpan(0, n * 784), [n, 1, 28, 28])[0].Floats!).ToArray();
        var errors = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            int s = i % sizes.Length, n = sizes[s];
            float[] actual = model.Run(images.AsSpan(0, n * 784), [n, 1, 28, 28])[0].Floats!;
            if (!actual.AsSpan().SequenceEqual(expected[s])) errors.Add($"run {i} (batch {n}) differs");
        });
        Assert.IsEmpty(errors, string.Join("; ", errors));
    }

    [TestMethod]
    public void PlanReusesBuffersOfDeadIntermediates()
    {
        var model = OnnxModel.Load(Path.Combine(ReferenceTools.TorchModels, "cnn3.onnx"));
        var plan = Mnist.ML.Onnx.Executor.ExecutionPlan.Build(model.Graph, [[32, 1, 28, 28]], [null]);
        // Sum of every value the graph computes at batch 32: input, 3 x (conv, relu, pool), 2 x fc, relu, softmax.
        int all = 32 * (784 + 2 * 32 * 784 + 32 * 196 + 2 * 64 * 196 + 64 * 49 + 2 * 128 * 49 + 1152 + 128 * 2 + 10 * 2);
        Assert.IsLessThan(all / 2, plan.ArenaLength, $"arena {plan.ArenaLength} floats vs {all} without reuse");
    }

    [TestMethod]
    public void PublicApiOfTheOnnxNamespaceIsPinned()
    {
        var types = typeof(OnnxModel).Assembly.GetExportedTypes().Where(t => t.Namespace == "Mnist.ML.Onnx").OrderBy(t => t.Name).ToArray();
        var members = types.SelectMany(t => t.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m is not MethodInfo { IsSpecialName: true } && m.Name is not ("Equals" or "GetHashCode" or "<Clone>$" or "Deconstruct" or "EqualityContract" or "PrintMembers"))
            .Select(m => $"{t.Name}.{m.Name}")).Distinct().Order(StringComparer.Ordinal).ToArray();
        string[] expected =
        [
            "OnnxModel.Inputs", "OnnxModel.Load", "OnnxModel.Metadata", "OnnxModel.OpsetVersion", "OnnxModel.Outputs", "OnnxModel.ProducerName",
            "OnnxModelException..ctor", "OnnxModelException.NodeName", "OnnxModelException.OperatorType",
            "OnnxTensorInfo..ctor", "OnnxTensorInfo.Dimensions", "OnnxTensorInfo.DimensionNames", "OnnxTensorInfo.ElementType", "OnnxTensorInfo.Name", "OnnxTensorInfo.ToString",
        ];
        CollectionAssert.AreEqual(expected.Order(StringComparer.Ordinal).ToArray(), members, "Public API changed:\n" + string.Join("\n", members));
    }
}

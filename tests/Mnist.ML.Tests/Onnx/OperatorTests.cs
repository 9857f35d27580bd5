// Operator forms the libonnx-testdata node tests do not reach: the pre-opset-13 attribute forms of
// Clip, Softmax, Squeeze/Unsqueeze, int64 shape arithmetic folded at load, and steady-state allocation.
using Mnist.ML.Onnx;

namespace Mnist.ML.Tests.Onnx;

[TestClass]
public sealed class OperatorTests
{
    private static OnnxTensor[] RunSingle(string opType, int opset, int?[] inShape, float[] input, params (string, object)[] attributes)
    {
        var b = new OnnxModelBuilder("op", opset);
        b.AddInput("x", inShape);
        b.AddNode(opType, ["x"], ["y"], "node", attributes);
        b.AddOutput("y", []);
        var model = OnnxModel.FromProto(b.Build());
        return model.Run(input, inShape.Select(d => d ?? 1).ToArray());
    }

    /// <summary>
    /// Conv -> Relu and Gemm -> Relu run fused (ReLU applied by the producing step); the result must equal
    /// the direct definition, and a pre-ReLU value that another node or the graph output also reads
    /// must keep its negative values (no fusion there). Covers the direct and the GEMM conv paths.
    /// </summary>
    [TestMethod]
    [DataRow(1, 5)] // C*KH*KW = 25: direct kernel
    [DataRow(8, 3)] // 72: direct kernel
    [DataRow(32, 3)] // 288: im2col GEMM
    public void ReluAfterConvAndGemmIsFusedOnlyWhenTheOnlyReader(int channels, int kernel)
    {
        var random = new Random(channels);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var b = new OnnxModelBuilder("fused");
        b.AddInput("x", [null, channels, 9, 9], ["batch"]);
        float[] w = Random(5 * channels * kernel * kernel), bias = Random(5), gw = Random(4 * 5 * 9 * 9), gb = Random(4);
        gb[0] = -50f; // one Gemm output always negative before its ReLU, one always positive
        gb[1] = 50f;
        b.AddInitializer("w", new OnnxTensor([5, channels, kernel, kernel], w));
        b.AddInitializer("b", new OnnxTensor([5], bias));
        b.AddInitializer("gw", new OnnxTensor([4, 5 * 9 * 9], gw));
        b.AddInitializer("gb", new OnnxTensor([4], gb));
        b.AddNode("Conv", ["x", "w", "b"], ["conv"], "conv", ("pads", new long[] { kernel / 2, kernel / 2, kernel / 2, kernel / 2 }));
        b.AddNode("Relu", ["conv"], ["relu"]);
        b.AddNode("Flatten", ["relu"], ["flat"]);
        b.AddNode("Gemm", ["flat", "gw", "gb"], ["gemm"], "gemm", ("transB", 1L));
        b.AddNode("Relu", ["gemm"], ["out"]);
        b.AddNode("Conv", ["x", "w", "b"], ["conv2"], "conv2", ("pads", new long[] { kernel / 2, kernel / 2, kernel / 2, kernel / 2 }));
        b.AddNode("Relu", ["conv2"], ["relu2"]);
        b.AddOutput("out", []);
        b.AddOutput("relu2", []);
        b.AddOutput("conv2", []); // read by the graph output too: must stay unfused
        var model = OnnxModel.FromProto(b.Build());

        foreach (int batch in new[] { 1, 3 })
        {
            float[] x = Random(batch * channels * 81);
            var g = new Mnist.ML.Kernels.ConvGeometry(batch, channels, 9, 9, 5, kernel, kernel, PadTop: kernel / 2, PadLeft: kernel / 2, PadBottom: kernel / 2, PadRight: kernel / 2);
            float[] conv = new float[g.OutputLength];
            Mnist.ML.Kernels.Conv2dKernel.ForwardNaive(x, w, bias, conv, g);
            float[] relu = conv.Select(v => Math.Max(v, 0f)).ToArray();
            var expected = new float[batch * 4];
            for (int n = 0; n < batch; n++)
                for (int o = 0; o < 4; o++)
                {
                    double sum = gb[o];
                    for (int p = 0; p < 405; p++) sum += relu[n * 405 + p] * gw[o * 405 + p];
                    expected[n * 4 + o] = (float)Math.Max(sum, 0);
                }
            OnnxTensor[] y = model.Run(x, [batch, channels, 9, 9]);
            Assert.IsTrue(conv.Any(v => v < 0) && expected.Any(v => v == 0), "the case must have negative pre-activations");
            for (int i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], y[0].Floats![i], 1e-4, $"gemm+relu [{i}] batch {batch}");
            for (int i = 0; i < relu.Length; i++) Assert.AreEqual(relu[i], y[1].Floats![i], 1e-4, $"conv+relu [{i}] batch {batch}");
            for (int i = 0; i < conv.Length; i++) Assert.AreEqual(conv[i], y[2].Floats![i], 1e-4, $"conv read twice, unfused [{i}] batch {batch}");
        }
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void BatchNormalizationAfterConvIsFoldedOnlyWhenTheConvHasNoOtherReader(bool withConvBias)
    {
        // Conv -> BN -> Relu (folded into one Conv with fused ReLU) and a second BN on a Conv whose output
        // is also a graph output (left as two steps); both must equal the definition.
        var random = new Random(withConvBias ? 1 : 2);
        float[] Random(int n, double lo = -1, double hi = 1) => Enumerable.Range(0, n).Select(_ => (float)(lo + (hi - lo) * random.NextDouble())).ToArray();
        const int c = 3, k = 20, size = 8;
        float[] w = Random(k * c * 9), bias = Random(k), scale = Random(k, 0.5, 2), shift = Random(k), mean = Random(k), variance = Random(k, 0.1, 3);
        var b = new OnnxModelBuilder("bn-fold");
        b.AddInput("x", [null, c, size, size], ["batch"]);
        b.AddInitializer("w", new OnnxTensor([k, c, 3, 3], w));
        if (withConvBias) b.AddInitializer("b", new OnnxTensor([k], bias));
        foreach (var (name, values) in new[] { ("scale", scale), ("shift", shift), ("mean", mean), ("var", variance) })
            b.AddInitializer(name, new OnnxTensor([k], values));
        string[] convInputs = withConvBias ? ["x", "w", "b"] : ["x", "w"];
        (string, object) pads = ("pads", new long[] { 1, 1, 1, 1 });
        b.AddNode("Conv", convInputs, ["conv"], "conv", pads);
        b.AddNode("BatchNormalization", ["conv", "scale", "shift", "mean", "var"], ["bn"], "bn", ("epsilon", 1e-3f));
        b.AddNode("Relu", ["bn"], ["out"]);
        b.AddNode("Conv", convInputs, ["conv2"], "conv2", pads);
        b.AddNode("BatchNormalization", ["conv2", "scale", "shift", "mean", "var"], ["bn2"], "bn2", ("epsilon", 1e-3f));
        b.AddOutput("out", []);
        b.AddOutput("bn2", []);
        b.AddOutput("conv2", []);
        var model = OnnxModel.FromProto(b.Build());
        // The first pair became one Conv (writing 'bn'); the second stayed Conv + BatchNormalization.
        var operators = model.Graph.Operators.Select(o => (o.Node.OpType, Output: o.Node.Output[0])).ToArray();
        CollectionAssert.AreEquivalent(new[] { ("Conv", "bn"), ("Relu", "out"), ("Conv", "conv2"), ("BatchNormalization", "bn2") }, operators);

        foreach (int batch in new[] { 1, 4 })
        {
            float[] x = Random(batch * c * size * size);
            var g = new Mnist.ML.Kernels.ConvGeometry(batch, c, size, size, k, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
            float[] conv = new float[g.OutputLength];
            Mnist.ML.Kernels.Conv2dKernel.ForwardNaive(x, w, withConvBias ? bias : [], conv, g);
            float[] bn = new float[conv.Length];
            for (int i = 0; i < conv.Length; i++)
            {
                int channel = i / (size * size) % k;
                bn[i] = (float)((conv[i] - mean[channel]) / Math.Sqrt(variance[channel] + 1e-3) * scale[channel] + shift[channel]);
            }
            OnnxTensor[] y = model.Run(x, [batch, c, size, size]);
            for (int i = 0; i < bn.Length; i++)
            {
                Assert.AreEqual(Math.Max(bn[i], 0f), y[0].Floats![i], 1e-4, $"conv+bn+relu, folded [{i}] batch {batch}");
                Assert.AreEqual(bn[i], y[1].Floats![i], 1e-4, $"conv+bn, not folded [{i}] batch {batch}");
                Assert.AreEqual(conv[i], y[2].Floats![i], 1e-4, $"conv read twice [{i}] batch {batch}");
            }
        }
    }

    [TestMethod]
    [DataRow(true, false)]
    [DataRow(false, false)]
    [DataRow(false, true)]
    public void ConvMaxPoolRunsFusedAndMatchesTheDefinition(bool relu, bool convIsAlsoAnOutput)
    {
        // Conv [-> Relu] -> MaxPool 2x2 runs as one step (AVX-512), unless the conv output has another
        // reader (here a graph output); batch 1 and 3, against the definition.
        var random = new Random(9);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        const int c = 8, k = 40, size = 9; // an odd plane: the pool drops the last row and column
        float[] w = Random(k * c * 9), bias = Random(k);
        var b = new OnnxModelBuilder("conv-pool");
        b.AddInput("x", [null, c, size, size], ["batch"]);
        b.AddInitializer("w", new OnnxTensor([k, c, 3, 3], w));
        b.AddInitializer("b", new OnnxTensor([k], bias));
        b.AddNode("Conv", ["x", "w", "b"], ["conv"], "conv", ("pads", new long[] { 1, 1, 1, 1 }));
        if (relu) b.AddNode("Relu", ["conv"], ["relu"]);
        b.AddNode("MaxPool", [relu ? "relu" : "conv"], ["pooled"], "pool", ("kernel_shape", new long[] { 2, 2 }), ("strides", new long[] { 2, 2 }));
        b.AddOutput("pooled", []);
        if (convIsAlsoAnOutput) b.AddOutput("conv", []);
        var model = OnnxModel.FromProto(b.Build());
        bool fusable = Mnist.ML.Kernels.Conv2dKernel.CanFuseMaxPool(new(1, c, size, size, k, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1));
        Assert.AreEqual(fusable && !convIsAlsoAnOutput ? 1 : 2, model.PlannedSteps([1, c, size, size]), "steps");

        foreach (int batch in new[] { 1, 3 })
        {
            float[] x = Random(batch * c * size * size);
            var g = new Mnist.ML.Kernels.ConvGeometry(batch, c, size, size, k, 3, 3, PadTop: 1, PadLeft: 1, PadBottom: 1, PadRight: 1);
            float[] conv = new float[g.OutputLength];
            Mnist.ML.Kernels.Conv2dKernel.ForwardNaive(x, w, bias, conv, g);
            var pool = new Mnist.ML.Kernels.ConvGeometry(batch, k, size, size, k, 2, 2, StrideH: 2, StrideW: 2);
            float[] expected = new float[batch * k * 16];
            Mnist.ML.Kernels.Pool2dKernel.MaxForwardGeneral(relu ? conv.Select(v => Math.Max(v, 0f)).ToArray() : conv, expected, [], pool);
            OnnxTensor[] y = model.Run(x, [batch, c, size, size]);
            CollectionAssert.AreEqual(new[] { batch, k, 4, 4 }, y[0].Shape);
            Assert.IsTrue(relu ? expected.Any(v => v == 0) : expected.Any(v => v < 0), "the case must have values the ReLU changes");
            for (int i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], y[0].Floats![i], 1e-4, $"pooled [{i}] batch {batch}");
            if (convIsAlsoAnOutput)
                for (int i = 0; i < conv.Length; i++) Assert.AreEqual(conv[i], y[1].Floats![i], 1e-4, $"conv output [{i}] batch {batch}");
        }
    }

    [TestMethod]
    public void ClipBeforeOpset11TakesMinAndMaxAttributes()
    {
        var y = RunSingle("Clip", 6, [4], [-2f, 0.5f, 3f, 1f], ("min", -1f), ("max", 1f))[0];
        CollectionAssert.AreEqual(new[] { -1f, 0.5f, 1f, 1f }, y.Floats);
    }

    [TestMethod]
    public void SoftmaxBeforeOpset13NormalisesEverythingFromTheAxisOn()
    {
        float[] x = Enumerable.Range(0, 12).Select(i => i * 0.1f).ToArray();
        float[] old = RunSingle("Softmax", 11, [1, 3, 4], x, ("axis", 1L))[0].Floats!;
        Assert.AreEqual(1.0, old.Sum(), 1e-5, "opset 11: one distribution over all 12 values");
        float[] v13 = RunSingle("Softmax", 13, [1, 3, 4], x, ("axis", 1L))[0].Floats!;
        for (int w = 0; w < 4; w++)
        {
            Assert.AreEqual(1.0, v13[w] + v13[4 + w] + v13[8 + w], 1e-5, "opset 13: a distribution along axis 1 per position");
        }
        float[] log = RunSingle("LogSoftmax", 11, [1, 3, 4], x, ("axis", 1L))[0].Floats!;
        for (int i = 0; i < 12; i++) Assert.AreEqual(Math.Log(old[i]), log[i], 1e-5);
    }

    [TestMethod]
    public void SqueezeAndUnsqueezeBeforeOpset13TakeAxesAttributes()
    {
        var squeezed = RunSingle("Squeeze", 11, [1, 3, 1, 2], new float[6], ("axes", new long[] { 0, -2 }))[0];
        CollectionAssert.AreEqual(new[] { 3, 2 }, squeezed.Shape);
        var unsqueezed = RunSingle("Unsqueeze", 11, [3, 2], new float[6], ("axes", new long[] { 0, 3 }))[0];
        CollectionAssert.AreEqual(new[] { 1, 3, 2, 1 }, unsqueezed.Shape);
    }

    [TestMethod]
    public void ShapeArithmeticOnInt64IsFoldedPerBatchSize()
    {
        // y = Reshape(x, Concat(Shape(x)[0] * 1, -1)): what exporters emit for x.view(x.size(0), -1).
        var b = new OnnxModelBuilder("fold");
        b.AddInput("x", [null, 2, 3], ["batch"]);
        b.AddInitializer("zero", new OnnxTensor([], [0L]));
        b.AddInitializer("one", new OnnxTensor([1], [1L]));
        b.AddInitializer("minus_one", new OnnxTensor([1], [-1L]));
        b.AddNode("Shape", ["x"], ["s"]);
        b.AddNode("Gather", ["s", "zero"], ["n"], null, ("axis", 0L));
        b.AddNode("Unsqueeze", ["n", "zero_axes"], ["n1"]);
        b.AddInitializer("zero_axes", new OnnxTensor([1], [0L]));
        b.AddNode("Mul", ["n1", "one"], ["n2"]);
        b.AddNode("Concat", ["n2", "minus_one"], ["target"], null, ("axis", 0L));
        b.AddNode("Reshape", ["x", "target"], ["y"]);
        b.AddOutput("y", [null, 6], ["batch"]);
        var model = OnnxModel.FromProto(b.Build());
        foreach (int n in new[] { 1, 5 })
        {
            var y = model.Run(Enumerable.Range(0, n * 6).Select(i => (float)i).ToArray(), [n, 2, 3])[0];
            CollectionAssert.AreEqual(new[] { n, 6 }, y.Shape);
            Assert.AreEqual(n * 6 - 1, y.Floats![^1]);
        }
    }

    [TestMethod]
    public void SteadyStateRunAllocatesOnlyItsOutputs()
    {
        // Executor-only operators (the kernels under Conv/Gemm are measured by their own tests).
        var b = new OnnxModelBuilder("alloc");
        b.AddInput("x", [null, 4, 3, 3], ["batch"]);
        b.AddInitializer("scale", new OnnxTensor([4], [1f, 2f, 3f, 4f]));
        b.AddInitializer("shift", new OnnxTensor([4], [0f, 0.1f, 0.2f, 0.3f]));
        b.AddInitializer("mean", new OnnxTensor([4], [0f, 0f, 0f, 0f]));
        b.AddInitializer("var", new OnnxTensor([4], [1f, 1f, 1f, 1f]));
        b.AddInitializer("bias", new OnnxTensor([1, 4, 1, 1], [1f, -1f, 0.5f, 0f]));
        b.AddNode("BatchNormalization", ["x", "scale", "shift", "mean", "var"], ["bn"]);
        b.AddNode("Relu", ["bn"], ["r"]);
        b.AddNode("Add", ["r", "bias"], ["a"]);
        b.AddNode("Transpose", ["a"], ["t"], null, ("perm", new long[] { 0, 2, 3, 1 }));
        b.AddNode("Flatten", ["t"], ["f"], null, ("axis", 1L));
        b.AddNode("Softmax", ["f"], ["y"], null, ("axis", 1L));
        b.AddOutput("y", [null, 36], ["batch"]);
        var model = OnnxModel.FromProto(b.Build());
        float[] x = Enumerable.Range(0, 2 * 36).Select(i => i * 0.01f).ToArray();
        for (int i = 0; i < 20; i++) model.Run(x, [2, 4, 3, 3]); // plan, arena pool, JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int Runs = 100;
        for (int i = 0; i < Runs; i++) model.Run(x, [2, 4, 3, 3]);
        long perRun = (GC.GetAllocatedBytesForCurrentThread() - before) / Runs;
        // The outputs: OnnxTensor[1] (32 B), one OnnxTensor (~48 B), float[72] (~312 B), shape int[2] (~32 B).
        Assert.IsLessThan(500, perRun, $"{perRun} bytes allocated per run");
    }
}

// Our executor against ONNX Runtime 1.30 on the 10,000 MNIST test images, for models that PyTorch
// exported (lenet5 with a Shape/Gather/Reshape flatten, cnn3 with Flatten and a Softmax output).
using Mnist.ML.Onnx;

namespace Mnist.ML.Tests.Onnx;

[TestClass]
public sealed class OrtParityTests
{
    private const double Tolerance = 1e-4;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("lenet5", new[] { "logits" })]
    [DataRow("cnn3", new[] { "logits", "probabilities" })]
    public void PyTorchExportMatchesOnnxRuntimeOnAllMnistTestImages(string name, string[] outputs)
    {
        string path = Path.Combine(ReferenceTools.TorchModels, name + ".onnx");
        float[] images = ReferenceTools.MnistTestImages();
        var expected = ReferenceTools.RunOrt(path, images, outputs);

        var model = OnnxModel.Load(path);
        CollectionAssert.AreEqual(outputs, model.Outputs.Select(o => o.Name).ToArray());
        AssertMatches(model, images, expected, outputs, TestContext);
    }

    /// <summary>Runs our executor in uneven batches (so several plans are used) and compares every output.</summary>
    internal static void AssertMatches(OnnxModel model, float[] images, Dictionary<string, float[]> expected, string[] outputs, TestContext context)
    {
        int count = images.Length / 784;
        var actual = outputs.Select(o => new float[expected[o].Length]).ToArray();
        int start = 0, step = 0;
        int[] batches = [1, 7, 256, 500];
        while (start < count)
        {
            int n = Math.Min(batches[step++ % batches.Length], count - start);
            var result = model.Run(images.AsSpan(start * 784, n * 784), [n, 1, 28, 28]);
            for (int o = 0; o < outputs.Length; o++)
            {
                int width = result[o].Shape[1];
                CollectionAssert.AreEqual(new[] { n, width }, result[o].Shape, outputs[o]);
                result[o].Floats.AsSpan().CopyTo(actual[o].AsSpan(start * width));
            }
            start += n;
        }
        for (int o = 0; o < outputs.Length; o++)
        {
            float[] e = expected[outputs[o]], a = actual[o];
            Assert.AreEqual(e.Length, a.Length, outputs[o]);
            double worst = 0;
            int worstAt = 0, argmaxAgree = 0;
            for (int i = 0; i < e.Length; i++)
            {
                double d = Math.Abs(e[i] - a[i]);
                if (!(d <= worst)) { worst = d; worstAt = i; }
            }
            for (int img = 0; img < count; img++)
            {
                if (ArgMax(e.AsSpan(img * 10, 10)) == ArgMax(a.AsSpan(img * 10, 10))) argmaxAgree++;
            }
            context.WriteLine($"{outputs[o]}: max |ours - ORT| = {worst:G3} at {worstAt}; argmax agrees on {argmaxAgree}/{count}");
            Assert.IsLessThanOrEqualTo(Tolerance, worst, $"{outputs[o]}: element {worstAt} is {a[worstAt]}, ONNX Runtime says {e[worstAt]}");
        }
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++)
        {
            if (v[i] > v[best]) best = i;
        }
        return best;
    }
}

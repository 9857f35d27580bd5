// Our executor against ONNX Runtime 1.30 on the 10,000 MNIST test images, for models that PyTorch
// exported (lenet5 with a Shape/Gather/Reshape flatten, cnn3 with Flatten and a Softmax output).
using Mnist.ML.Onnx;

namespace Mnist.ML.Tests.Onnx;

[TestClass]
public sealed class OrtParityTests
{
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
        ReferenceTools.AssertMatches(model, images, expected, outputs, TestContext);
    }
}

// Network runs ReLU-then-max-pool pairs as max-pool-then-ReLU (Network.ExecutionOrder). That must be
// a pure speed-up: logits, every gradient and the dInput of the swapped order equal, bit for bit,
// those of running the layers one by one in the order the spec lists them.
using Mnist.ML.Trainer.Layers;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Tests.Layers;

[TestClass]
public sealed class ExecutionOrderTests
{
    [TestMethod]
    [DataRow("cnn3")]
    [DataRow("lenet5")]
    [DataRow("conv8k3p1-relu-pool2-conv8k3-relu-pool2s1-flatten-fc10")]
    public void SwappedReluAndMaxPoolGiveIdenticalLogitsAndGradients(string spec)
    {
        const int batch = 5;
        var network = NetworkSpec.Build(spec, seed: 3);
        var random = new Random(7);
        // Inputs with negative values and exact ties inside pooling windows: the cases where the two orders could differ.
        var input = new float[batch * network.InputSize];
        for (int i = 0; i < input.Length; i++) input[i] = random.Next(4) == 0 ? 0.5f : (float)(random.NextDouble() * 2 - 1);
        var dLogits = new float[batch * network.OutputSize];
        for (int i = 0; i < dLogits.Length; i++) dLogits[i] = (float)(random.NextDouble() * 2 - 1);

        network.ZeroGradients();
        float[] logits = network.Forward(input, batch, training: true, new Rng(11)).ToArray();
        var dInput = new float[input.Length];
        network.Backward(input, dLogits, batch, dInput);
        float[] gradients = (float[])network.Gradients.Clone();

        // The same network run layer by layer in spec order.
        network.ZeroGradients();
        var layers = network.Layers;
        var outputs = new float[layers.Count][];
        var rng = new Rng(11);
        ReadOnlySpan<float> x = input;
        for (int i = 0; i < layers.Count; i++)
        {
            outputs[i] = new float[batch * layers[i].OutputShape.Size];
            layers[i].Forward(x, outputs[i], batch, training: true, rng);
            x = outputs[i];
        }
        var expectedDInput = new float[input.Length];
        float[] dOut = dLogits;
        for (int i = layers.Count - 1; i >= 0; i--)
        {
            var dIn = i == 0 ? expectedDInput : new float[batch * layers[i].InputShape.Size];
            layers[i].Backward(i == 0 ? input : outputs[i - 1], outputs[i], dOut, dIn, batch);
            dOut = dIn;
        }

        Assert.IsTrue(layers.Any(l => l is MaxPool2d), "the spec must have a max pool");
        CollectionAssert.AreEqual(outputs[^1], logits, "logits");
        CollectionAssert.AreEqual(network.Gradients, gradients, "parameter gradients");
        CollectionAssert.AreEqual(expectedDInput, dInput, "dInput");
    }
}

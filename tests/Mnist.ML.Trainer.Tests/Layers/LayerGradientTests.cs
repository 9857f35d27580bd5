// Finite-difference checks of every layer's Backward (input and parameter gradients) and of the loss.
using Mnist.ML.Trainer.Layers;

namespace Mnist.ML.Trainer.Tests.Layers;

[TestClass]
public sealed class LayerGradientTests
{
    private static readonly TensorShape Spatial = new(3, 7, 7);

    [TestMethod]
    [DataRow(1, 0, DisplayName = "k3 s1 p0")]
    [DataRow(2, 1, DisplayName = "k3 s2 p1")]
    [DataRow(1, 2, DisplayName = "k3 s1 p2")]
    public void Conv2dGradientsMatchFiniteDifferences(int stride, int padding) =>
        GradientCheck.CheckLayer(new Conv2d(Spatial, 4, 3, stride, padding), GradientCheck.RandomInput(2 * Spatial.Size, 1), 2, training: true);

    [TestMethod]
    public void LinearGradientsMatchFiniteDifferences() =>
        GradientCheck.CheckLayer(new Linear(new TensorShape(12, 1, 1), 5), GradientCheck.RandomInput(3 * 12, 2), 3, training: true);

    [TestMethod]
    [DataRow(2, 2)]
    [DataRow(3, 2)]
    public void MaxPool2dGradientsMatchFiniteDifferences(int kernel, int stride) =>
        GradientCheck.CheckLayer(new MaxPool2d(Spatial, kernel, stride), GradientCheck.DistinctInput(2 * Spatial.Size, 3), 2, training: true);

    [TestMethod]
    [DataRow(2, 2)]
    [DataRow(3, 2)]
    public void AvgPool2dGradientsMatchFiniteDifferences(int kernel, int stride) =>
        GradientCheck.CheckLayer(new AvgPool2d(Spatial, kernel, stride), GradientCheck.RandomInput(2 * Spatial.Size, 4), 2, training: true);

    [TestMethod]
    public void ReLUGradientsMatchFiniteDifferences() =>
        GradientCheck.CheckLayer(new ReLU(Spatial), GradientCheck.RandomInput(2 * Spatial.Size, 5), 2, training: true);

    [TestMethod]
    public void ReLUSimdBackwardMatchesTheNaiveLoopForEveryRemainder()
    {
        for (int length = 0; length <= 67; length++)
        {
            var output = GradientCheck.RandomInput(length, (ulong)length + 100).Select((v, i) => i % 5 == 0 ? 0f : v).ToArray();
            var dOutput = GradientCheck.RandomInput(length, (ulong)length + 200);
            var naive = GradientCheck.RandomInput(length, 7);
            var simd = (float[])naive.Clone();
            ReLU.BackwardNaive(output, dOutput, naive);
            ReLU.BackwardSimd(output, dOutput, simd);
            CollectionAssert.AreEqual(naive, simd, $"length {length}");
        }
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void DropoutGradientsMatchFiniteDifferences(bool training) =>
        GradientCheck.CheckLayer(new Dropout(Spatial, 0.4f), GradientCheck.RandomInput(2 * Spatial.Size, 6), 2, training);

    [TestMethod]
    public void FlattenGradientsMatchFiniteDifferences() =>
        GradientCheck.CheckLayer(new Flatten(Spatial), GradientCheck.RandomInput(2 * Spatial.Size, 7), 2, training: true);

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void BatchNorm2dGradientsMatchFiniteDifferences(bool training) =>
        GradientCheck.CheckLayer(new BatchNorm2d(Spatial), GradientCheck.RandomInput(3 * Spatial.Size, 8), 3, training, eps: 1e-2f, absTol: 3e-3, relTol: 2e-2);

    [TestMethod]
    public void BatchNormAfterFlatIsBatchNorm1d() =>
        GradientCheck.CheckLayer(new BatchNorm2d(new TensorShape(6, 1, 1)), GradientCheck.RandomInput(5 * 6, 9), 5, training: true, eps: 1e-2f, absTol: 3e-3, relTol: 2e-2);

    [TestMethod]
    public void DropoutZeroesAboutPAndKeepsTheMean()
    {
        var layer = new Dropout(new TensorShape(10000, 1, 1), 0.25f);
        var input = Enumerable.Repeat(1f, 10000).ToArray();
        var output = new float[10000];
        layer.Forward(input, output, 1, training: true, new Mnist.ML.Trainer.Training.Rng(1));
        double zeros = output.Count(v => v == 0f) / 10000.0;
        Assert.AreEqual(0.25, zeros, 0.02, "fraction dropped");
        Assert.AreEqual(1.0, output.Average(), 0.03, "inverted dropout keeps the expectation");
        layer.Forward(input, output, 1, training: false, null);
        CollectionAssert.AreEqual(input, output, "identity in evaluation");
    }

    [TestMethod]
    [DataRow(0f)]
    [DataRow(0.1f)]
    public void SoftmaxCrossEntropyGradientMatchesFiniteDifferences(float smoothing)
    {
        const int batch = 4, classes = 10;
        var logits = GradientCheck.RandomInput(batch * classes, 10).Select(v => v * 4).ToArray();
        byte[] labels = [3, 0, 9, 3];
        var probabilities = new float[batch * classes];
        double Loss() => SoftmaxCrossEntropy.Forward(logits, labels, probabilities, batch, classes, smoothing);
        Loss();
        var dLogits = new float[batch * classes];
        SoftmaxCrossEntropy.Backward(probabilities, labels, dLogits, batch, classes, smoothing);
        GradientCheck.AssertClose("dLogits", dLogits, GradientCheck.Numeric(logits, Loss, 1e-2f), absTol: 5e-4, relTol: 1e-2);
    }

    [TestMethod]
    public void SoftmaxCrossEntropyIsStableForHugeLogits()
    {
        float[] logits = [1000f, 0f, -1000f, 1000f];
        var probabilities = new float[4];
        float loss = SoftmaxCrossEntropy.Forward(logits, [0], probabilities, 1, 4);
        Assert.AreEqual(MathF.Log(2f), loss, 1e-6f);
        Assert.AreEqual(0.5f, probabilities[0], 1e-6f);
        Assert.AreEqual(0f, probabilities[2]);
    }

    [TestMethod]
    public void WholeNetworkGradientsMatchFiniteDifferences()
    {
        // every layer kind in one network, small enough to perturb every parameter
        var net = new NetworkBuilder(2, 8, 8).Conv2d(3, 3, padding: 1).BatchNorm().ReLU().MaxPool2d(2)
            .Conv2d(4, 3, stride: 2, padding: 1).ReLU().AvgPool2d(2).Flatten().Dropout(0.3).Linear(6).ReLU().Linear(3)
            .Build(seed: 5, WeightInit.PyTorchDefault);
        const int batch = 3;
        var input = GradientCheck.RandomInput(batch * net.InputSize, 12);
        byte[] labels = [0, 2, 1];
        var probabilities = new float[batch * 3];
        var buffers = (float[])net.Buffers.Clone();
        double Loss()
        {
            buffers.CopyTo(net.Buffers, 0);
            var logits = net.Forward(input, batch, training: true, new Mnist.ML.Trainer.Training.Rng(9));
            return SoftmaxCrossEntropy.Forward(logits, labels, probabilities, batch, 3);
        }
        Loss();
        var dLogits = new float[batch * 3];
        SoftmaxCrossEntropy.Backward(probabilities, labels, dLogits, batch, 3);
        net.ZeroGradients();
        var dInput = new float[input.Length];
        net.Backward(input, dLogits, batch, dInput);
        GradientCheck.AssertClose("network.dInput", dInput, GradientCheck.Numeric(input, Loss, 1e-3f), absTol: 1e-3, relTol: 3e-2);
        GradientCheck.AssertClose("network.dParameters", net.Gradients, GradientCheck.Numeric(net.Parameters, Loss, 1e-3f), absTol: 1e-3, relTol: 3e-2);
    }
}

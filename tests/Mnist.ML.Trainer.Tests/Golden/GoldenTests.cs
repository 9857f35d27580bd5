// Golden tests against PyTorch 1.13 (fixture from make_golden.py): the same weights and images give
// the same logits, loss, every parameter gradient, BatchNorm running statistics, and the same losses
// and weights over 5 steps of Adam, AdamW and SGD (momentum, Nesterov, weight decay). lenet5 and cnn3
// run in evaluation mode so dropout is the identity (masks from two RNGs cannot match); "tiny" runs
// in training mode to cover BatchNorm's batch statistics.
using Mnist.ML.Trainer.Layers;
using Mnist.ML.Trainer.Optim;

namespace Mnist.ML.Trainer.Tests.Golden;

[TestClass]
public sealed class GoldenTests
{
    // BatchNorm after the ReLU: straight after the conv it would cancel the conv bias, whose gradient is then
    // float noise that Adam amplifies to +-lr steps in different directions in the two engines.
    private const string TinySpec = "conv4k3p1-relu-bn-pool2-flatten-fc10";

    // Float32 sums in a different order (PyTorch's conv/GEMM vs ours) differ by ~1e-6 relative;
    // 1e-4 absolute leaves room for the larger cnn3 sums. Observed: losses <= 5e-7, weights
    // after 5 steps <= 4e-6, gradients <= 1e-6 except tiny's conv bias (4e-5: a sum over 8x28x28
    // positions of BatchNorm's input gradient, accumulated in a different order).
    private const float Tolerance = 1e-4f;

    private static GoldenFixture G => GoldenFixture.Instance;

    private static (Network Net, bool Train) Load(string model)
    {
        var net = NetworkSpec.Build(model == "tiny" ? TinySpec : model);
        foreach (var slice in net.Slices)
        {
            var values = G[$"{model}/param/{slice.Name}"];
            Assert.AreEqual(slice.Length, values.Length, slice.Name);
            values.CopyTo((slice.Trainable ? net.Parameters : net.Buffers).AsSpan(slice.Offset));
        }
        return (net, model == "tiny");
    }

    private static byte[] Labels => G["labels"].Select(v => (byte)v).ToArray();

    private static float Step(Network net, bool train, float[] probabilities, float[] dLogits, float[]? logitsCopy = null)
    {
        int batch = Labels.Length;
        var logits = net.Forward(G["input"], batch, train);
        if (logitsCopy != null) logits.CopyTo(logitsCopy);
        float loss = SoftmaxCrossEntropy.Forward(logits, Labels, probabilities, batch, 10);
        Array.Clear(dLogits);
        SoftmaxCrossEntropy.Backward(probabilities, Labels, dLogits, batch, 10);
        net.ZeroGradients();
        net.Backward(G["input"], dLogits, batch);
        return loss;
    }

    private static void AssertClose(string name, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance = Tolerance)
    {
        Assert.AreEqual(expected.Length, actual.Length, name + " length");
        float maxDiff = 0;
        int at = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            float d = Math.Abs(expected[i] - actual[i]);
            if (d > maxDiff) { maxDiff = d; at = i; }
        }
        Console.WriteLine($"{name,-34} max abs diff {maxDiff:E2}");
        Assert.IsTrue(maxDiff <= tolerance, $"{name}[{at}]: PyTorch {expected[at]:G7}, ours {actual[at]:G7}, diff {maxDiff:E2} > {tolerance:E1}");
    }

    [TestMethod]
    [DataRow("lenet5")]
    [DataRow("cnn3")]
    [DataRow("tiny")]
    public void LogitsLossAndEveryGradientMatchPyTorch(string model)
    {
        var (net, train) = Load(model);
        int batch = Labels.Length;
        var probabilities = new float[batch * 10];
        var dLogits = new float[batch * 10];
        var logits = new float[batch * 10];
        float loss = Step(net, train, probabilities, dLogits, logits);

        AssertClose($"{model}/logits", G[$"{model}/logits"], logits);
        AssertClose($"{model}/loss", G[$"{model}/loss"], [loss]);
        float smoothed = SoftmaxCrossEntropy.Forward(G[$"{model}/logits"], Labels, probabilities, batch, 10, labelSmoothing: 0.1f);
        AssertClose($"{model}/loss_smoothed", G[$"{model}/loss_smoothed"], [smoothed]);
        var failures = new List<string>();
        foreach (var slice in net.Slices)
        {
            try
            {
                if (slice.Trainable) AssertClose($"{model}/grad/{slice.Name}", G[$"{model}/grad/{slice.Name}"], net.Gradients.AsSpan(slice.Offset, slice.Length));
                else AssertClose($"{model}/after/{slice.Name}", G[$"{model}/after/{slice.Name}"], net.Buffers.AsSpan(slice.Offset, slice.Length));
            }
            catch (AssertFailedException e)
            {
                failures.Add(e.Message); // report every tensor, then fail
            }
        }
        Assert.IsEmpty(failures, string.Join(Environment.NewLine, failures));
    }

    [TestMethod]
    [DataRow("lenet5", "adam")]
    [DataRow("lenet5", "sgd")]
    [DataRow("lenet5", "adamw")]
    [DataRow("cnn3", "adam")]
    [DataRow("tiny", "adam")]
    [DataRow("tiny", "sgd")]
    [DataRow("tiny", "adamw")]
    public void FiveOptimizerStepsMatchPyTorch(string model, string optimizer)
    {
        var (net, train) = Load(model);
        var (opt, lr) = optimizer switch
        {
            "adam" => (Optimizer.Create(OptimizerKind.Adam, net.ParameterCount, 0f), 1e-3f),
            "adamw" => (Optimizer.Create(OptimizerKind.AdamW, net.ParameterCount, 0.01f), 1e-3f),
            _ => (Optimizer.Create(OptimizerKind.Sgd, net.ParameterCount, 5e-4f, momentum: 0.9f, nesterov: true), 0.01f),
        };
        int batch = Labels.Length;
        var probabilities = new float[batch * 10];
        var dLogits = new float[batch * 10];
        var losses = new float[5];
        for (int s = 0; s < 5; s++)
        {
            losses[s] = Step(net, train, probabilities, dLogits);
            opt.Step(net.Parameters, net.Gradients, lr);
        }
        AssertClose($"{model}/{optimizer}_losses", G[$"{model}/{optimizer}_losses"], losses);
        string finalKey = $"{model}/{optimizer}_final/";
        foreach (var slice in net.Slices.Where(s => G.Contains(finalKey + s.Name)))
        {
            AssertClose(finalKey + slice.Name, G[finalKey + slice.Name], (slice.Trainable ? net.Parameters : net.Buffers).AsSpan(slice.Offset, slice.Length));
        }
        if (model == "tiny") Assert.IsTrue(G.Contains(finalKey + "0.weight"), "the fixture holds tiny's final weights");
    }

    [TestMethod]
    [DataRow("onecycle")]
    [DataRow("cosine")]
    public void SchedulesMatchPyTorch(string name)
    {
        var schedule = name == "onecycle" ? LearningRateSchedule.OneCycle() : LearningRateSchedule.Cosine();
        var rates = Enumerable.Range(0, 20).Select(t => (float)schedule.LearningRate(1e-3, t, 20, 4)).ToArray();
        AssertClose($"schedule/{name}", G[$"schedule/{name}"], rates, 1e-9f);
    }
}

// The spec grammar: named architectures, round trips, and errors that name the layer and the fix.
using Mnist.ML.Trainer.Layers;

namespace Mnist.ML.Trainer.Tests.Layers;

[TestClass]
public sealed class NetworkSpecTests
{
    [TestMethod]
    public void LeNet5HasTheLayersAndParameterCountOfPyTorchsLeNet5()
    {
        var net = NetworkSpec.Build("lenet5");
        Assert.AreEqual(61706, net.ParameterCount);
        var conv1 = (Conv2d)net.Layers[0];
        Assert.AreEqual((1, 6, 5, 1, 2), (conv1.InChannels, conv1.OutChannels, conv1.KernelSize, conv1.Stride, conv1.Padding));
        var fc1 = (Linear)net.Layers[7];
        Assert.AreEqual((400, 120), (fc1.InFeatures, fc1.OutFeatures));
        Assert.AreEqual(10, net.OutputSize);
        CollectionAssert.AreEqual(
            new[] { "0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias", "11.weight", "11.bias" },
            net.Slices.Select(s => s.Name).ToArray());
    }

    [TestMethod]
    public void Cnn3FlattensTo1152AndHasDropoutInTheHead()
    {
        var net = NetworkSpec.Build("CNN3");
        Assert.AreEqual(241546, net.ParameterCount);
        Assert.AreEqual(1152, ((Linear)net.Layers[11]).InFeatures);
        Assert.AreEqual(0.25f, ((Dropout)net.Layers[10]).Probability);
        Assert.AreEqual(0.5f, ((Dropout)net.Layers[13]).Probability);
    }

    [TestMethod]
    [DataRow("lenet5")]
    [DataRow("cnn3")]
    [DataRow("conv8k3s2p1-bn-relu-avgpool2s1-maxpool2-flatten-drop0.1-fc10")]
    public void SpecRoundTripsThroughTheLayersTokens(string nameOrSpec)
    {
        var net = NetworkSpec.Build(nameOrSpec);
        string expected = NetworkSpec.Resolve(nameOrSpec).Replace("maxpool", "pool", StringComparison.Ordinal);
        Assert.AreEqual(expected, net.Spec);
        Assert.AreEqual(expected, string.Join('-', net.Layers.Select(l => l.SpecToken)));
    }

    [TestMethod]
    public void BuilderAndSpecDescribeTheSameNetwork()
    {
        var builder = new NetworkBuilder().Conv2d(32, 3, padding: 1).ReLU().MaxPool2d(2).Flatten().Dropout(0.25).Linear(128).ReLU().Linear(10);
        Assert.AreEqual("conv32k3p1-relu-pool2-flatten-drop0.25-fc128-relu-fc10", builder.Spec);
        var a = builder.Build(seed: 3);
        var b = NetworkSpec.Build(builder.Spec, seed: 3);
        CollectionAssert.AreEqual(a.Parameters, b.Parameters, "same spec and seed give the same weights");
    }

    [TestMethod]
    [DataRow("conv32k3p1-relux", 1, "relux", "HINT")]
    [DataRow("conv32k3p1-relu-fc10", 2, "fc10", "add 'flatten'")]
    [DataRow("conv8k40", 0, "conv8k40", "does not fit")]
    [DataRow("conv8k3--fc10", 1, "", "empty")]
    [DataRow("flatten-drop1.5", 1, "drop1.5", "[0, 1)")]
    [DataRow("flatten-pool2", 1, "pool2", "before 'flatten'")]
    [DataRow("conv99999999999k3", 0, "conv99999999999k3", "too large")]
    public void BadSpecsNameTheLayerAndTheFix(string spec, int index, string token, string fragment)
    {
        var e = Assert.ThrowsExactly<NetworkSpecException>(() => NetworkSpec.Parse(spec));
        Console.WriteLine(e.Message);
        Assert.AreEqual(index, e.TokenIndex);
        Assert.AreEqual(token, e.Token);
        StringAssert.Contains(e.Message, fragment);
        StringAssert.Contains(e.Message, spec);
    }

    [TestMethod]
    public void EmptySpecIsAClearError()
    {
        var e = Assert.ThrowsExactly<NetworkSpecException>(() => NetworkSpec.Parse("  "));
        StringAssert.Contains(e.Message, "empty");
    }
}

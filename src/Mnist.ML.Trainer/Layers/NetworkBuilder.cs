// Builds a Network layer by layer, checking shapes as it goes. The text spec parser (NetworkSpec)
// calls these same methods, so a network described in code and in text is one definition.
using System.Globalization;

namespace Mnist.ML.Trainer.Layers;

/// <summary>
/// Describes a sequential CNN layer by layer, then <see cref="Build"/>s it. Each method checks the
/// shapes and throws <see cref="NetworkSpecException"/> when a layer cannot follow the previous one.
/// <see cref="Spec"/> is the equivalent one-line text spec (see <see cref="NetworkSpec"/>).
/// Not thread-safe; <see cref="Build"/> may be called many times and returns independent networks.
/// </summary>
/// <example><code>
/// var net = new NetworkBuilder().Conv2d(32, 3, padding: 1).ReLU().MaxPool2d(2)
///     .Flatten().Dropout(0.25).Linear(128).ReLU().Linear(10).Build(seed: 1);
/// </code></example>
public sealed class NetworkBuilder
{
    private readonly TensorShape _input;
    private readonly List<Func<TensorShape, Layer>> _factories = [];
    private readonly List<string> _tokens = [];
    private TensorShape _shape;

    /// <summary>Starts a network whose input is (channels, height, width), by default one 28x28 MNIST image.</summary>
    public NetworkBuilder(int channels = 1, int height = 28, int width = 28)
    {
        if (channels <= 0 || height <= 0 || width <= 0) throw new ArgumentOutOfRangeException(nameof(channels), "Input dimensions must be positive.");
        _input = _shape = new TensorShape(channels, height, width);
    }

    /// <summary>The one-line spec of the layers added so far, e.g. "conv32k3p1-relu-pool2".</summary>
    public string Spec => string.Join('-', _tokens);

    /// <summary>Number of layers added so far.</summary>
    public int LayerCount => _tokens.Count;

    /// <summary>Per-sample output size of the layers added so far (10 for an MNIST classifier).</summary>
    public int OutputSize => _shape.Size;

    /// <summary>Adds a square convolution with bias: <paramref name="outChannels"/> filters of size <paramref name="kernelSize"/>.</summary>
    public NetworkBuilder Conv2d(int outChannels, int kernelSize, int stride = 1, int padding = 0)
    {
        string token = $"conv{outChannels}k{kernelSize}" + (stride != 1 ? $"s{stride}" : "") + (padding != 0 ? $"p{padding}" : "");
        Require(outChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0, token, "channels, kernel and stride must be positive and padding non-negative");
        Require(_shape.Height + 2 * padding >= kernelSize && _shape.Width + 2 * padding >= kernelSize, token,
            $"the {kernelSize}x{kernelSize} kernel does not fit the padded input {_shape}");
        return Add(token, s => new Conv2d(s, outChannels, kernelSize, stride, padding));
    }

    /// <summary>Adds max pooling over <paramref name="kernelSize"/> squares (stride defaults to the kernel size).</summary>
    public NetworkBuilder MaxPool2d(int kernelSize, int? stride = null) => Pool(kernelSize, stride ?? kernelSize, average: false);

    /// <summary>Adds average pooling over <paramref name="kernelSize"/> squares (stride defaults to the kernel size).</summary>
    public NetworkBuilder AvgPool2d(int kernelSize, int? stride = null) => Pool(kernelSize, stride ?? kernelSize, average: true);

    /// <summary>Adds a ReLU.</summary>
    public NetworkBuilder ReLU() => Add("relu", s => new ReLU(s));

    /// <summary>Adds batch normalisation over channels (eps 1e-5, momentum 0.1, as PyTorch); after a flat layer it normalises features.</summary>
    public NetworkBuilder BatchNorm() => Add("bn", s => new BatchNorm2d(s));

    /// <summary>Adds a flatten: (C, H, W) to (C*H*W).</summary>
    public NetworkBuilder Flatten() => Add("flatten", s => new Flatten(s));

    /// <summary>Adds inverted dropout with drop probability <paramref name="probability"/> in [0, 1).</summary>
    public NetworkBuilder Dropout(double probability)
    {
        string token = "drop" + ((float)probability).ToString("R", CultureInfo.InvariantCulture);
        Require(probability >= 0 && probability < 1, token, "the drop probability must be in [0, 1)");
        return Add(token, s => new Dropout(s, (float)probability));
    }

    /// <summary>Adds a fully connected layer with <paramref name="outFeatures"/> outputs; its input must be flat.</summary>
    public NetworkBuilder Linear(int outFeatures)
    {
        string token = $"fc{outFeatures}";
        Require(outFeatures > 0, token, "the output size must be positive");
        Require(_shape.IsFlat, token, $"it needs a flat input but gets {_shape}; add 'flatten' before it");
        return Add(token, s => new Linear(s, outFeatures));
    }

    /// <summary>Creates the network with weights drawn from <paramref name="seed"/> by <paramref name="init"/>.</summary>
    public Network Build(int seed = 0, WeightInit init = WeightInit.He)
    {
        if (_factories.Count == 0) throw new NetworkSpecException("The network has no layers.", "", -1);
        var layers = new List<Layer>(_factories.Count);
        var shape = _input;
        foreach (var factory in _factories)
        {
            var layer = factory(shape);
            layers.Add(layer);
            shape = layer.OutputShape;
        }
        return new Network(_input, layers, Spec, seed, init);
    }

    private NetworkBuilder Pool(int kernelSize, int stride, bool average)
    {
        string token = (average ? "avgpool" : "pool") + kernelSize + (stride != kernelSize ? $"s{stride}" : "");
        Require(kernelSize > 0 && stride > 0, token, "kernel and stride must be positive");
        Require(!_shape.IsFlat || kernelSize == 1, token, "pooling needs a spatial (C, H, W) input; put it before 'flatten'");
        Require(_shape.Height >= kernelSize && _shape.Width >= kernelSize, token, $"the {kernelSize}x{kernelSize} window does not fit the input {_shape}");
        return Add(token, s => average ? new AvgPool2d(s, kernelSize, stride) : new MaxPool2d(s, kernelSize, stride));
    }

    private NetworkBuilder Add(string token, Func<TensorShape, Layer> factory)
    {
        var layer = factory(_shape); // checks the shape arithmetic now, so errors point at this layer
        if (layer.OutputShape.Size <= 0) throw Error(token, $"it gives an empty output from input {_shape}");
        _shape = layer.OutputShape;
        _factories.Add(factory);
        _tokens.Add(token);
        return this;
    }

    private void Require(bool condition, string token, string reason)
    {
        if (!condition) throw Error(token, reason);
    }

    private NetworkSpecException Error(string token, string reason) =>
        new($"Layer {_tokens.Count + 1} '{token}' cannot follow '{(_tokens.Count == 0 ? "input" : _tokens[^1])}': {reason}.", token, _tokens.Count);
}

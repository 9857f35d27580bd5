// The one-line network spec grammar and the named architectures (lenet5, cnn3), defined here once.
using System.Globalization;
using System.Text.RegularExpressions;

namespace Mnist.ML.Trainer.Layers;

/// <summary>
/// Parses one-line network specs. A spec is layer tokens joined by '-', read left to right from a
/// 1x28x28 input (case-insensitive, spaces ignored):
/// <list type="table">
/// <item><term>convNkK[sS][pP]</term><description>Conv2d with N filters of KxK, stride S (1), padding P (0), with bias. "conv32k3p1".</description></item>
/// <item><term>poolK[sS]</term><description>MaxPool2d over KxK, stride S (K). "maxpoolK" is the same. "pool2".</description></item>
/// <item><term>avgpoolK[sS]</term><description>AvgPool2d over KxK, stride S (K).</description></item>
/// <item><term>relu</term><description>ReLU.</description></item>
/// <item><term>bn</term><description>BatchNorm over channels (eps 1e-5, momentum 0.1).</description></item>
/// <item><term>flatten</term><description>(C, H, W) to (C*H*W); required before the first fc.</description></item>
/// <item><term>dropP</term><description>Dropout with probability P in [0, 1). "drop0.25".</description></item>
/// <item><term>fcN</term><description>Linear layer with N outputs ("linearN" is the same). The last layer of a classifier is fc10.</description></item>
/// </list>
/// Example: <c>conv32k3p1-relu-pool2-conv64k3p1-relu-pool2-flatten-drop0.25-fc128-relu-fc10</c>.
/// A name from <see cref="Architectures"/> ("lenet5", "cnn3") stands for its spec. Thread-safe (stateless).
/// </summary>
public static partial class NetworkSpec
{
    /// <summary>LeNet-5 with ReLU and max pooling (61,706 parameters).</summary>
    public const string LeNet5 = "conv6k5p2-relu-pool2-conv16k5-relu-pool2-flatten-fc120-relu-fc84-relu-fc10";

    /// <summary>Three conv blocks and a dropout-regularised head (241,546 parameters).</summary>
    public const string Cnn3 = "conv32k3p1-relu-pool2-conv64k3p1-relu-pool2-conv128k3p1-relu-pool2-flatten-drop0.25-fc128-relu-drop0.5-fc10";

    /// <summary>Named architectures: name to spec.</summary>
    public static IReadOnlyDictionary<string, string> Architectures { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["lenet5"] = LeNet5,
        ["cnn3"] = Cnn3,
    };

    private const string Hint =
        "---> HINT: a spec is layers joined by '-': convNkK[sS][pP], poolK[sS], avgpoolK[sS], relu, bn, flatten, dropP, fcN, " +
        "e.g. 'conv32k3p1-relu-pool2-flatten-fc10', or a name: " + "lenet5, cnn3.";

    /// <summary>The spec a name stands for, or the spec itself (normalised: lower case, no spaces).</summary>
    public static string Resolve(string nameOrSpec)
    {
        ArgumentNullException.ThrowIfNull(nameOrSpec);
        string s = nameOrSpec.Replace(" ", "", StringComparison.Ordinal).Trim().ToLowerInvariant();
        return Architectures.TryGetValue(s, out var spec) ? spec : s;
    }

    /// <summary>Parses a name or spec into a builder (input 1x28x28 unless given); throws <see cref="NetworkSpecException"/> with the offending token.</summary>
    public static NetworkBuilder Parse(string nameOrSpec, int channels = 1, int height = 28, int width = 28)
    {
        string spec = Resolve(nameOrSpec);
        if (spec.Length == 0) throw new NetworkSpecException($"The network spec is empty. {Hint}", "", -1);
        var builder = new NetworkBuilder(channels, height, width);
        string[] tokens = spec.Split('-');
        for (int i = 0; i < tokens.Length; i++)
        {
            string t = tokens[i];
            try
            {
                Apply(builder, t);
            }
            catch (NetworkSpecException e)
            {
                throw new NetworkSpecException($"In '{spec}': {e.Message}", t, i);
            }
            catch (FormatException)
            {
                throw new NetworkSpecException($"In '{spec}': token {i + 1} '{t}' has a number that does not parse. {Hint}", t, i);
            }
            catch (OverflowException)
            {
                throw new NetworkSpecException($"In '{spec}': token {i + 1} '{t}' has a number that is too large. {Hint}", t, i);
            }
        }
        return builder;
    }

    /// <summary>Builds the network a name or spec describes.</summary>
    public static Network Build(string nameOrSpec, int seed = 0, WeightInit init = WeightInit.He) => Parse(nameOrSpec).Build(seed, init);

    private static void Apply(NetworkBuilder b, string t)
    {
        Match m;
        if (t.Length == 0) throw new NetworkSpecException($"layer {b.LayerCount + 1} is empty (two '-' in a row, or one at an end). {Hint}", t, -1);
        else if (t == "relu") b.ReLU();
        else if (t == "bn") b.BatchNorm();
        else if (t == "flatten") b.Flatten();
        else if ((m = ConvRegex().Match(t)).Success) b.Conv2d(Int(m, 1), Int(m, 2), Int(m, 3, 1), Int(m, 4, 0));
        else if ((m = PoolRegex().Match(t)).Success)
        {
            int k = Int(m, 2);
            if (m.Groups[1].Value == "avg") b.AvgPool2d(k, Int(m, 3, k));
            else b.MaxPool2d(k, Int(m, 3, k));
        }
        else if ((m = DropRegex().Match(t)).Success) b.Dropout(double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        else if ((m = FcRegex().Match(t)).Success) b.Linear(Int(m, 1));
        else throw new NetworkSpecException($"layer {b.LayerCount + 1} '{t}' is not a layer. {Hint}", t, -1);
    }

    private static int Int(Match m, int group, int fallback = -1) =>
        m.Groups[group].Success ? int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) : fallback;

    [GeneratedRegex(@"^conv(\d+)k(\d+)(?:s(\d+))?(?:p(\d+))?$")]
    private static partial Regex ConvRegex();

    [GeneratedRegex(@"^(avg|max)?pool(\d+)(?:s(\d+))?$")]
    private static partial Regex PoolRegex();

    [GeneratedRegex(@"^drop(\d*\.?\d+)$")]
    private static partial Regex DropRegex();

    [GeneratedRegex(@"^(?:fc|linear)(\d+)$")]
    private static partial Regex FcRegex();
}

/// <summary>A network spec or builder call that does not describe a valid network; the message names the layer and the fix.</summary>
public sealed class NetworkSpecException : FormatException
{
    /// <summary>Creates the exception for <paramref name="token"/> at <paramref name="tokenIndex"/> (0-based; -1 when unknown).</summary>
    public NetworkSpecException(string message, string token, int tokenIndex) : base(message)
    {
        Token = token;
        TokenIndex = tokenIndex;
    }

    /// <summary>The offending layer token.</summary>
    public string Token { get; }

    /// <summary>Its position in the spec, 0-based, or -1 when the error is not about one layer.</summary>
    public int TokenIndex { get; }
}

// ONNX's own node tests (Debian libonnx-testdata) for every operator the executor claims: each test
// model is loaded with OnnxModel.Load, run on its input_*.pb and compared with output_*.pb.
using System.Text;
using Mnist.ML.Onnx;
using Mnist.ML.Onnx.Executor;
using Mnist.ML.Onnx.Proto;

namespace Mnist.ML.Tests.Onnx;

[TestClass]
public sealed class ConformanceTests
{
    private const string NodeTestDir = "/usr/share/libonnx-testdata/data/node";

    // ONNX's backend-test default tolerance (onnx/backend/test/runner: rtol=1e-3, atol=1e-7).
    private const double RelativeTolerance = 1e-3, AbsoluteTolerance = 1e-7;

    /// <summary>
    /// Node tests of claimed operators that we do not run, and why. Each one uses a feature the
    /// executor does not claim, and the test below proves it is rejected at load with an
    /// OnnxModelException rather than silently computed wrong.
    /// </summary>
    private static readonly Dictionary<string, string> Excluded = new()
    {
        ["test_add_uint8"] = "uint8 data: the executor computes in float32 only",
        ["test_sub_uint8"] = "uint8 data: float32 only",
        ["test_mul_uint8"] = "uint8 data: float32 only",
        ["test_div_uint8"] = "uint8 data: float32 only",
        ["test_maxpool_2d_uint8"] = "uint8 data: float32 only",
        ["test_clip_default_int8_inbounds"] = "int8 data: float32 only",
        ["test_clip_default_int8_max"] = "int8 data: float32 only",
        ["test_clip_default_int8_min"] = "int8 data: float32 only",
        ["test_averagepool_3d_default"] = "3-D pooling: only 1-D and 2-D windows are claimed",
        ["test_maxpool_3d_default"] = "3-D pooling: only 1-D and 2-D windows are claimed",
        ["test_maxpool_with_argmax_2d_precomputed_pads"] = "MaxPool's Indices output is not claimed",
        ["test_maxpool_with_argmax_2d_precomputed_strides"] = "MaxPool's Indices output is not claimed",
        ["test_batchnorm_epsilon_training_mode"] = "BatchNormalization training_mode=1 (inference only)",
        ["test_batchnorm_example_training_mode"] = "BatchNormalization training_mode=1 (inference only)",
        ["test_dropout_default_mask"] = "Dropout's mask output (bool) is not claimed",
        ["test_dropout_default_mask_ratio"] = "Dropout's mask output (bool) is not claimed",
        ["test_training_dropout"] = "Dropout in training mode (bool training_mode input): inference only",
        ["test_training_dropout_default"] = "Dropout in training mode (bool training_mode input): inference only",
        ["test_training_dropout_default_mask"] = "Dropout in training mode (bool training_mode input): inference only",
        ["test_training_dropout_mask"] = "Dropout in training mode (bool training_mode input): inference only",
        ["test_training_dropout_zero_ratio"] = "Dropout in training mode (bool training_mode input): inference only",
        ["test_training_dropout_zero_ratio_mask"] = "Dropout in training mode (bool training_mode input): inference only",
        ["test_identity_opt"] = "optional-typed values: tensors only",
        ["test_identity_sequence"] = "sequence-typed values: tensors only",
    };

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void EveryNodeTestOfEveryClaimedOperatorPasses()
    {
        var (run, _, unrelated) = Candidates();
        var failures = new List<string>();
        var report = new StringBuilder();
        foreach (var (dir, ops) in run)
        {
            string name = Path.GetFileName(dir);
            try
            {
                double worst = RunNodeTest(dir);
                report.AppendLine($"PASS {name} ({string.Join("+", ops)}) max |diff| {worst:G3}");
            }
            catch (Exception e)
            {
                failures.Add($"{name}: {e.GetType().Name}: {e.Message}");
                report.AppendLine($"FAIL {name}: {e.Message}");
            }
        }
        TestContext.WriteLine($"Ran {run.Count} ONNX node tests for {OperatorRegistry.Supported.Count} claimed operators:");
        TestContext.WriteLine(report.ToString());
        TestContext.WriteLine($"Excluded ({Excluded.Count}): " + string.Join("; ", Excluded.Select(e => $"{e.Key} ({e.Value})")));
        TestContext.WriteLine($"Same-prefix tests of other operators, not run ({unrelated.Count}): " + string.Join("; ", unrelated));
        Assert.IsEmpty(failures, $"{failures.Count} of {run.Count} conformance tests failed:\n" + string.Join("\n", failures));
        Assert.IsGreaterThan(150, run.Count, "Fewer node tests than expected: is libonnx-testdata complete?");
    }

    [TestMethod]
    public void ExcludedNodeTestsAreRejectedAtLoadWithTheNodeAndOperatorNamed()
    {
        var (_, excluded, _) = Candidates();
        Assert.AreEqual(Excluded.Count, excluded.Count, "An exclusion no longer names a node test of a claimed operator: update the list.");
        foreach (string dir in excluded)
        {
            var e = Assert.ThrowsExactly<OnnxModelException>(() => OnnxModel.Load(Path.Combine(dir, "model.onnx")), Path.GetFileName(dir));
            TestContext.WriteLine($"{Path.GetFileName(dir)}: {e.Message}");
        }
    }

    /// <summary>
    /// The node tests that concern a claimed operator: every test named test_&lt;op&gt;[_...] after a
    /// claimed operator whose graph contains that operator, plus every test whose graph uses only
    /// claimed operators. Same-prefix tests of other operators (test_gather_elements_0 is
    /// GatherElements, test_softmax_*_expanded is ReduceMax/Exp/ReduceSum) are listed in Unrelated.
    /// </summary>
    private static (List<(string Dir, string[] Ops)> Run, List<string> Excluded, List<string> Unrelated) Candidates()
    {
        if (!Directory.Exists(NodeTestDir))
            throw new InvalidOperationException($"{NodeTestDir} not found. Install Debian's libonnx-testdata (scripts/install-test-deps.sh does).");
        var claimed = OperatorRegistry.Supported.ToHashSet(StringComparer.Ordinal);
        var prefixes = claimed.Select(op => (Prefix: "test_" + op.ToLowerInvariant(), Op: op)).Append((Prefix: "test_batchnorm", Op: "BatchNormalization")).ToArray();
        var run = new List<(string, string[])>();
        var excluded = new List<string>();
        var unrelated = new List<string>();
        foreach (string dir in Directory.GetDirectories(NodeTestDir, "test_*").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(dir);
            ModelProto model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx")));
            string[] ops = model.Graph.Node.Select(n => n.OpType).Distinct().ToArray();
            bool allClaimed = ops.Length > 0 && ops.All(claimed.Contains);
            var namedFor = prefixes.Where(p => name == p.Prefix || name.StartsWith(p.Prefix + "_", StringComparison.Ordinal)).Select(p => p.Op).ToArray();
            bool named = namedFor.Any(ops.Contains);
            if (!allClaimed && !named)
            {
                if (namedFor.Length > 0) unrelated.Add($"{name} ({string.Join("+", ops)})");
                continue;
            }
            if (Excluded.ContainsKey(name)) excluded.Add(dir);
            else if (allClaimed) run.Add((dir, ops));
            else throw new InvalidOperationException($"{name} tests {string.Join(",", namedFor)} but also uses {string.Join(",", ops)}; add it to Excluded with a reason.");
        }
        return (run, excluded, unrelated);
    }

    /// <summary>Runs every test_data_set of one node test; returns the largest absolute difference.</summary>
    private static double RunNodeTest(string dir)
    {
        var model = OnnxModel.Load(Path.Combine(dir, "model.onnx"));
        double worst = 0;
        var sets = Directory.GetDirectories(dir, "test_data_set_*");
        if (sets.Length == 0) throw new InvalidOperationException("no test_data_set_* folder");
        foreach (string set in sets)
        {
            var inputs = ReadTensors(set, "input_");
            var expected = ReadTensors(set, "output_");
            OnnxTensor[] actual = model.Run(inputs);
            if (actual.Length < expected.Count) throw new InvalidOperationException($"{actual.Length} outputs, expected {expected.Count}");
            for (int i = 0; i < expected.Count; i++) worst = Math.Max(worst, Compare(expected[i], actual[i], $"{Path.GetFileName(set)} output {i}"));
        }
        return worst;
    }

    private static List<OnnxTensor> ReadTensors(string set, string prefix)
    {
        var files = Directory.GetFiles(set, prefix + "*.pb")
            .OrderBy(f => int.Parse(Path.GetFileNameWithoutExtension(f)[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        return files.Select(f => OnnxTensor.FromProto(TensorProto.Parser.ParseFrom(File.ReadAllBytes(f)))).ToList();
    }

    internal static double Compare(OnnxTensor expected, OnnxTensor actual, string what)
    {
        if (!expected.Shape.SequenceEqual(actual.Shape))
            throw new InvalidOperationException($"{what}: shape [{string.Join(",", actual.Shape)}], expected [{string.Join(",", expected.Shape)}]");
        if (expected.Type != actual.Type) throw new InvalidOperationException($"{what}: type {actual.Type}, expected {expected.Type}");
        if (expected.Longs is not null)
        {
            if (!expected.Longs.SequenceEqual(actual.Longs!)) throw new InvalidOperationException($"{what}: int64 values differ");
            return 0;
        }
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected.Floats![i], a = actual.Floats![i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            if (e == a) continue;
            double diff = Math.Abs(e - a);
            worst = Math.Max(worst, diff);
            if (!(diff <= AbsoluteTolerance + RelativeTolerance * Math.Abs(e)))
                throw new InvalidOperationException($"{what}: element {i} is {a}, expected {e} (|diff| {diff:G3})");
        }
        return worst;
    }
}

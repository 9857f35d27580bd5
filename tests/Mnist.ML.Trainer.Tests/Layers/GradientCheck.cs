// Finite-difference gradient checking: L = sum(r * f(x)) in double for a fixed random r, compared
// with the analytic gradient from Backward, element by element, with a relative+absolute tolerance.
using Mnist.ML.Trainer.Layers;
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Tests.Layers;

internal static class GradientCheck
{
    /// <summary>Central difference of <paramref name="loss"/> with respect to values[i], for each i.</summary>
    public static double[] Numeric(float[] values, Func<double> loss, float eps)
    {
        var grad = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float saved = values[i];
            values[i] = saved + eps;
            double plus = loss();
            values[i] = saved - eps;
            double minus = loss();
            values[i] = saved;
            grad[i] = (plus - minus) / (2.0 * eps);
        }
        return grad;
    }

    public static void AssertClose(string name, ReadOnlySpan<float> analytic, double[] numeric, double absTol = 2e-3, double relTol = 1e-2)
    {
        Assert.AreEqual(numeric.Length, analytic.Length, name + " length");
        double maxDiff = 0;
        for (int i = 0; i < numeric.Length; i++)
        {
            double diff = Math.Abs(analytic[i] - numeric[i]);
            double allowed = absTol + relTol * Math.Abs(numeric[i]);
            maxDiff = Math.Max(maxDiff, diff);
            if (diff > allowed)
            {
                Assert.Fail($"{name}[{i}]: analytic {analytic[i]:G6} vs numeric {numeric[i]:G6} (diff {diff:G3} > {allowed:G3})");
            }
        }
        Console.WriteLine($"{name}: max abs diff {maxDiff:G3} over {numeric.Length} values");
        Assert.IsTrue(numeric.Any(v => Math.Abs(v) > 1e-4), $"{name}: every numeric gradient is ~0, the check proves nothing");
    }

    /// <summary>Checks dInput and every parameter gradient of a standalone layer.</summary>
    public static void CheckLayer(Layer layer, float[] input, int batch, bool training, float eps = 1e-2f, double absTol = 2e-3, double relTol = 1e-2)
    {
        var parameters = new float[layer.ParameterCount];
        var gradients = new float[layer.ParameterCount];
        var buffers = new float[layer.BufferCount];
        layer.Bind(parameters, gradients, 0, buffers, 0);
        var init = new Rng(7);
        layer.Initialize(init, WeightInit.PyTorchDefault);
        // BatchNorm starts at gamma 1, beta 0: perturb so the check also covers gamma's role
        if (layer is BatchNorm2d)
        {
            for (int i = 0; i < parameters.Length; i++) parameters[i] = (float)init.Uniform(0.5, 1.5) * (i < parameters.Length / 2 ? 1 : 0.3f);
            for (int i = 0; i < buffers.Length; i++) buffers[i] = i < buffers.Length / 2 ? (float)init.Uniform(-0.5, 0.5) : (float)init.Uniform(0.5, 2);
        }

        int outLength = batch * layer.OutputShape.Size;
        var r = new float[outLength];
        var weights = new Rng(11);
        for (int i = 0; i < r.Length; i++) r[i] = (float)weights.Uniform(-1, 1);
        var output = new float[outLength];
        var savedBuffers = (float[])buffers.Clone();

        double Loss()
        {
            savedBuffers.CopyTo(buffers, 0); // running statistics must not drift between evaluations
            layer.Forward(input, output, batch, training, new Rng(3));
            double sum = 0;
            for (int i = 0; i < outLength; i++) sum += (double)r[i] * output[i];
            return sum;
        }

        Loss();
        var dInput = new float[input.Length];
        layer.Backward(input, output, r, dInput, batch);
        string kind = layer.GetType().Name;

        AssertClose(kind + ".dInput", dInput, Numeric(input, Loss, eps), absTol, relTol);
        foreach (var slice in layer.Slices.Where(s => s.Trainable))
        {
            var numeric = Numeric(parameters, Loss, eps).AsSpan(slice.Offset, slice.Length).ToArray();
            AssertClose($"{kind}.{slice.Name}", gradients.AsSpan(slice.Offset, slice.Length), numeric, absTol, relTol);
        }
    }

    /// <summary>Uniform values in [-1, 1] that stay at least <paramref name="margin"/> away from 0 (ReLU's kink).</summary>
    public static float[] RandomInput(int length, ulong seed, float margin = 0.05f)
    {
        var rng = new Rng(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++)
        {
            float v = (float)rng.Uniform(margin, 1.0);
            x[i] = rng.NextDouble() < 0.5 ? -v : v;
        }
        return x;
    }

    /// <summary>Distinct values 0.03 apart in random order, so a max never changes under a 0.01 nudge.</summary>
    public static float[] DistinctInput(int length, ulong seed)
    {
        var perm = new Rng(seed).Permutation(length);
        return perm.Select(p => (p - length / 2) * 0.03f).ToArray();
    }
}

// Optimizers over the network's flat parameter buffer, with PyTorch's exact definitions. Each step is
// a few TensorPrimitives passes over the whole buffer (Adam: one fused pass); state (momentum, moments) is flat too.
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Mnist.ML.Trainer.Optim;

/// <summary>Which optimizer the trainer uses.</summary>
public enum OptimizerKind
{
    /// <summary>SGD with optional momentum / Nesterov and L2 weight decay (torch.optim.SGD, dampening 0).</summary>
    Sgd,

    /// <summary>Adam with bias correction and L2 weight decay added to the gradient (torch.optim.Adam).</summary>
    Adam,

    /// <summary>Adam with decoupled weight decay (torch.optim.AdamW).</summary>
    AdamW,
}

/// <summary>Updates parameters from gradients; state is flat buffers the length of the parameters. Not thread-safe.</summary>
internal abstract class Optimizer
{
    protected Optimizer(int length, float weightDecay)
    {
        Scratch = new float[length];
        WeightDecay = weightDecay;
    }

    public float WeightDecay { get; }

    /// <summary>Steps taken so far (Adam's t).</summary>
    public long StepCount { get; set; }

    public abstract OptimizerKind Kind { get; }

    /// <summary>The state buffers, for checkpoints (written to and read back in place).</summary>
    public abstract float[][] State { get; }

    protected float[] Scratch { get; }

    /// <summary>One update of <paramref name="parameters"/> from <paramref name="gradients"/> (gradients are left unchanged).</summary>
    public abstract void Step(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate);

    /// <summary>g + weightDecay * p in Scratch, or g itself when there is no L2 decay.</summary>
    protected ReadOnlySpan<float> WithL2(ReadOnlySpan<float> parameters, ReadOnlySpan<float> gradients)
    {
        if (WeightDecay == 0f) return gradients;
        TensorPrimitives.MultiplyAdd(parameters, WeightDecay, gradients, Scratch);
        return Scratch;
    }

    public static Optimizer Create(OptimizerKind kind, int length, float weightDecay, float momentum = 0.9f, bool nesterov = false,
        float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f) => kind switch
    {
        OptimizerKind.Sgd => new Sgd(length, momentum, nesterov, weightDecay),
        OptimizerKind.Adam => new Adam(length, beta1, beta2, epsilon, weightDecay, decoupled: false),
        OptimizerKind.AdamW => new Adam(length, beta1, beta2, epsilon, weightDecay, decoupled: true),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown optimizer."),
    };
}

/// <summary>
/// torch.optim.SGD (dampening 0): d = g + wd p; buf = momentum buf + d (buf = d on the first step);
/// d = nesterov ? d + momentum buf : buf; p -= lr d.
/// </summary>
internal sealed class Sgd(int length, float momentum, bool nesterov, float weightDecay) : Optimizer(length, weightDecay)
{
    private readonly float[] _velocity = new float[momentum != 0f ? length : 0];

    public float Momentum { get; } = momentum;
    public bool Nesterov { get; } = nesterov;
    public override OptimizerKind Kind => OptimizerKind.Sgd;
    public override float[][] State => [_velocity];

    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate)
    {
        StepCount++;
        var d = WithL2(parameters, gradients);
        if (Momentum == 0f)
        {
            TensorPrimitives.MultiplyAdd(d, -learningRate, parameters, parameters);
            return;
        }
        // buf starts at zero, so momentum * 0 + d equals PyTorch's first-step buf = d
        TensorPrimitives.MultiplyAdd(_velocity, Momentum, d, _velocity);
        if (Nesterov)
        {
            TensorPrimitives.MultiplyAdd(_velocity, Momentum, d, Scratch); // d + momentum buf (d may alias Scratch: element-wise)
            TensorPrimitives.MultiplyAdd(Scratch, -learningRate, parameters, parameters);
        }
        else
        {
            TensorPrimitives.MultiplyAdd(_velocity, -learningRate, parameters, parameters);
        }
    }
}

/// <summary>
/// torch.optim.Adam / AdamW: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
/// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). Adam adds wd p to g first;
/// AdamW instead multiplies p by (1 - lr wd) before the update.
/// </summary>
internal sealed class Adam(int length, float beta1, float beta2, float epsilon, float weightDecay, bool decoupled) : Optimizer(length, weightDecay)
{
    private readonly float[] _m = new float[length];
    private readonly float[] _v = new float[length];

    public float Beta1 { get; } = beta1;
    public float Beta2 { get; } = beta2;
    public float Epsilon { get; } = epsilon;
    public bool Decoupled { get; } = decoupled;
    public override OptimizerKind Kind => Decoupled ? OptimizerKind.AdamW : OptimizerKind.Adam;
    public override float[][] State => [_m, _v];

    public override void Step(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate)
    {
        StepCount++;
        ReadOnlySpan<float> g = gradients;
        if (Decoupled)
        {
            if (WeightDecay != 0f) TensorPrimitives.Multiply(parameters, 1f - learningRate * WeightDecay, parameters);
        }
        else
        {
            g = WithL2(parameters, gradients);
        }
        double biasCorrection1 = 1 - Math.Pow(Beta1, StepCount);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        Update(parameters, g, _m, _v, Beta1, Beta2, (float)biasCorrection2Sqrt, Epsilon, (float)(learningRate / biasCorrection1));
    }

    /// <summary>
    /// The moment updates and the step in one pass over the arrays (seven separate passes spent more
    /// time moving 4 x 1 MB through the caches than computing). Every element sees the same operations
    /// in the same order, each rounded on its own (no fused multiply-add), whether in a vector lane or
    /// in the scalar tail: m = g (1-b1) + m b1; v = g^2 (1-b2) + v b2; p += m / (sqrt(v) / c2 + eps) * -step.
    /// </summary>
    internal static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v,
        float beta1, float beta2, float biasCorrection2Sqrt, float epsilon, float stepSize)
    {
        int n = p.Length, i = 0;
        if (g.Length < n || m.Length < n || v.Length < n) throw new ArgumentException("Adam state shorter than the parameters.");
        float oneMinusBeta1 = 1f - beta1, oneMinusBeta2 = 1f - beta2, minusStep = -stepSize;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float pr = ref MemoryMarshal.GetReference(p), gr = ref MemoryMarshal.GetReference(g);
            ref float mr = ref MemoryMarshal.GetReference(m), vr = ref MemoryMarshal.GetReference(v);
            var b1 = Vector256.Create(beta1); var c1 = Vector256.Create(oneMinusBeta1);
            var b2 = Vector256.Create(beta2); var c2 = Vector256.Create(oneMinusBeta2);
            var bc = Vector256.Create(biasCorrection2Sqrt); var eps = Vector256.Create(epsilon); var step = Vector256.Create(minusStep);
            for (; i <= n - 8; i += 8)
            {
                var gv = Vector256.LoadUnsafe(ref gr, (nuint)i);
                var mv = Vector256.Add(Vector256.Multiply(gv, c1), Vector256.Multiply(Vector256.LoadUnsafe(ref mr, (nuint)i), b1));
                var vv = Vector256.Add(Vector256.Multiply(Vector256.Multiply(gv, gv), c2), Vector256.Multiply(Vector256.LoadUnsafe(ref vr, (nuint)i), b2));
                var d = Vector256.Divide(mv, Vector256.Add(Vector256.Divide(Vector256.Sqrt(vv), bc), eps));
                var pv = Vector256.Add(Vector256.Multiply(d, step), Vector256.LoadUnsafe(ref pr, (nuint)i));
                mv.StoreUnsafe(ref mr, (nuint)i);
                vv.StoreUnsafe(ref vr, (nuint)i);
                pv.StoreUnsafe(ref pr, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            float mi = gi * oneMinusBeta1 + m[i] * beta1;
            float vi = gi * gi * oneMinusBeta2 + v[i] * beta2;
            m[i] = mi;
            v[i] = vi;
            p[i] = mi / (MathF.Sqrt(vi) / biasCorrection2Sqrt + epsilon) * minusStep + p[i];
        }
    }
}

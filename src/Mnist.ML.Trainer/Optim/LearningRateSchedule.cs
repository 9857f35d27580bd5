// Learning-rate schedules evaluated per optimizer step, with PyTorch's formulas (StepLR,
// CosineAnnealingLR over the whole run, OneCycleLR with cosine annealing).
namespace Mnist.ML.Trainer.Optim;

/// <summary>
/// A learning-rate schedule: the rate for optimizer step t (0-based) of a run of T steps, given the base
/// rate. Immutable and thread-safe. Create one with <see cref="Constant"/>, <see cref="Step"/>,
/// <see cref="Cosine"/> or <see cref="OneCycle"/>.
/// </summary>
public abstract record LearningRateSchedule
{
    private protected LearningRateSchedule() { }

    /// <summary>The base rate on every step (the default).</summary>
    public static LearningRateSchedule Constant { get; } = new ConstantSchedule();

    /// <summary>StepLR: multiply by <paramref name="gamma"/> every <paramref name="everyEpochs"/> epochs.</summary>
    public static LearningRateSchedule Step(int everyEpochs, double gamma = 0.1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(everyEpochs, 1);
        return new StepSchedule(everyEpochs, gamma);
    }

    /// <summary>CosineAnnealingLR over the whole run, per step: min + (base - min)(1 + cos(pi t / T)) / 2.</summary>
    public static LearningRateSchedule Cosine(double minLearningRate = 0) => new CosineSchedule(minLearningRate);

    /// <summary>
    /// OneCycleLR (anneal "cos", two phases): warms up from base/<paramref name="divFactor"/> to the base rate
    /// (the maximum) over <paramref name="pctStart"/> of the steps, then anneals to
    /// base/(divFactor*<paramref name="finalDivFactor"/>). Momentum is not cycled.
    /// </summary>
    public static LearningRateSchedule OneCycle(double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4)
    {
        if (pctStart <= 0 || pctStart >= 1) throw new ArgumentOutOfRangeException(nameof(pctStart), "pctStart must be in (0, 1).");
        return new OneCycleSchedule(pctStart, divFactor, finalDivFactor);
    }

    /// <summary>The learning rate for step <paramref name="step"/> of <paramref name="totalSteps"/>, with <paramref name="stepsPerEpoch"/> steps per epoch.</summary>
    public abstract double LearningRate(double baseRate, long step, long totalSteps, int stepsPerEpoch);

    private sealed record ConstantSchedule : LearningRateSchedule
    {
        public override double LearningRate(double baseRate, long step, long totalSteps, int stepsPerEpoch) => baseRate;
    }

    private sealed record StepSchedule(int EveryEpochs, double Gamma) : LearningRateSchedule
    {
        public override double LearningRate(double baseRate, long step, long totalSteps, int stepsPerEpoch) =>
            baseRate * Math.Pow(Gamma, step / stepsPerEpoch / EveryEpochs);
    }

    private sealed record CosineSchedule(double MinLearningRate) : LearningRateSchedule
    {
        public override double LearningRate(double baseRate, long step, long totalSteps, int stepsPerEpoch) =>
            MinLearningRate + (baseRate - MinLearningRate) * (1 + Math.Cos(Math.PI * step / Math.Max(1, totalSteps))) / 2;
    }

    private sealed record OneCycleSchedule(double PctStart, double DivFactor, double FinalDivFactor) : LearningRateSchedule
    {
        public override double LearningRate(double baseRate, long step, long totalSteps, int stepsPerEpoch)
        {
            double initial = baseRate / DivFactor, final = initial / FinalDivFactor;
            double warmEnd = PctStart * totalSteps - 1, end = totalSteps - 1;
            if (step <= warmEnd) return Anneal(initial, baseRate, step / warmEnd);
            return Anneal(baseRate, final, (step - warmEnd) / (end - warmEnd));
        }

        private static double Anneal(double start, double end, double pct) => end + (start - end) / 2 * (Math.Cos(Math.PI * pct) + 1);
    }
}

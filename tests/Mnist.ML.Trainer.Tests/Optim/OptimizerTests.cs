// Optimizers and schedules against values computed by hand from PyTorch's documented formulas
// (the golden tests compare 5 steps of each with PyTorch itself).
using System.Numerics.Tensors;
using Mnist.ML.Trainer.Optim;

namespace Mnist.ML.Trainer.Tests.Optim;

[TestClass]
public sealed class OptimizerTests
{
    [TestMethod]
    public void SgdMomentumWithWeightDecayFollowsTorchOptimSgd()
    {
        var opt = Optimizer.Create(OptimizerKind.Sgd, 1, weightDecay: 0.1f, momentum: 0.5f);
        float[] p = [1f];
        opt.Step(p, [2f], 0.1f);      // d = 2 + 0.1*1 = 2.1; buf = 2.1; p = 1 - 0.21 = 0.79
        Assert.AreEqual(0.79f, p[0], 1e-6f);
        opt.Step(p, [1f], 0.1f);      // d = 1 + 0.079 = 1.079; buf = 0.5*2.1 + 1.079 = 2.129; p = 0.79 - 0.2129
        Assert.AreEqual(0.5771f, p[0], 1e-6f);
    }

    [TestMethod]
    public void NesterovLooksAheadByTheMomentum()
    {
        var opt = Optimizer.Create(OptimizerKind.Sgd, 1, 0f, momentum: 0.9f, nesterov: true);
        float[] p = [0f];
        opt.Step(p, [1f], 1f);  // buf = 1; d = 1 + 0.9 = 1.9
        opt.Step(p, [1f], 1f);  // buf = 1.9; d = 1 + 1.71 = 2.71
        Assert.AreEqual(-4.61f, p[0], 1e-5f);
    }

    [TestMethod]
    public void AdamFirstStepMovesEachWeightByTheLearningRate()
    {
        // bias correction makes the first step lr * g / (|g| + eps') = lr * sign(g)
        var opt = Optimizer.Create(OptimizerKind.Adam, 3, 0f);
        float[] p = [0f, 0f, 0f];
        opt.Step(p, [3f, -0.001f, 0f], 0.01f);
        Assert.AreEqual(-0.01f, p[0], 1e-7f);
        Assert.AreEqual(0.01f, p[1], 1e-6f);
        Assert.AreEqual(0f, p[2]);
    }

    [TestMethod]
    public void AdamWDecaysTheWeightsIndependentlyOfTheGradient()
    {
        var adamw = Optimizer.Create(OptimizerKind.AdamW, 1, weightDecay: 0.5f);
        var adam = Optimizer.Create(OptimizerKind.Adam, 1, weightDecay: 0.5f);
        float[] pw = [2f], pa = [2f];
        adamw.Step(pw, [0f], 0.1f); // p *= 1 - 0.1*0.5 -> 1.9; zero gradient moves nothing else
        adam.Step(pa, [0f], 0.1f);  // L2: g = 0 + 0.5*2 = 1 -> first Adam step is -lr
        Assert.AreEqual(1.9f, pw[0], 1e-6f);
        Assert.AreEqual(1.9f, pa[0], 1e-6f);
        adamw.Step(pw, [0f], 0.1f);
        Assert.AreEqual(1.805f, pw[0], 1e-6f, "AdamW keeps decaying geometrically while the gradient is zero");
    }

    [TestMethod]
    public void StepScheduleDropsEveryNEpochs()
    {
        var s = LearningRateSchedule.Step(everyEpochs: 2, gamma: 0.5);
        double[] rates = Enumerable.Range(0, 12).Select(t => s.LearningRate(0.1, t, 12, stepsPerEpoch: 2)).ToArray();
        CollectionAssert.AreEqual(new[] { 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025 }, rates);
    }

    [TestMethod]
    public void AdamsFusedUpdateIsBitIdenticalToTheStepByStepFormula()
    {
        // Vector lanes and the scalar tail alike: every length around the 8-lane width, and a long one.
        var random = new Random(5);
        foreach (int n in Enumerable.Range(0, 35).Append(1000))
        {
            float[] Random(float scale) => [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale)];
            float[] p = Random(1), g = Random(0.1f), m = Random(0.01f), v = Random(0.001f).Select(Math.Abs).ToArray();
            float[] ep = (float[])p.Clone(), em = (float[])m.Clone(), ev = (float[])v.Clone(), d = new float[n];
            const float b1 = 0.9f, b2 = 0.999f, c2 = 0.0316f, eps = 1e-8f, step = 0.0137f;
            // The formula as separate passes, each result rounded to float.
            TensorPrimitives.Multiply(em, b1, em);
            TensorPrimitives.MultiplyAdd(g, 1f - b1, em, em);
            TensorPrimitives.Multiply(ev, b2, ev);
            TensorPrimitives.Multiply(g, g, d);
            TensorPrimitives.MultiplyAdd(d, 1f - b2, ev, ev);
            TensorPrimitives.Sqrt(ev, d);
            TensorPrimitives.Divide(d, c2, d);
            TensorPrimitives.Add(d, eps, d);
            TensorPrimitives.Divide(em, d, d);
            TensorPrimitives.MultiplyAdd(d, -step, ep, ep);

            Adam.Update(p, g, m, v, b1, b2, c2, eps, step);
            CollectionAssert.AreEqual(em, m, $"m, n = {n}");
            CollectionAssert.AreEqual(ev, v, $"v, n = {n}");
            CollectionAssert.AreEqual(ep, p, $"p, n = {n}");
        }
    }
}

// Optimizers and schedules against values computed by hand from PyTorch's documented formulas
// (the golden tests compare 5 steps of each with PyTorch itself).
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
}

// The PRNG behind every shuffle: pinned to the reference SplitMix64 output and unbiased bounds.
using Mnist.ML.Trainer.Data;

namespace Mnist.ML.Trainer.Tests.Data;

[TestClass]
public sealed class SplitMix64Tests
{
    [TestMethod]
    public void MatchesReferenceOutputForSeed1234567()
    {
        // First outputs of the reference C implementation (Vigna's splitmix64.c) seeded with 1234567.
        var random = new SplitMix64(1234567);

        Assert.AreEqual(6457827717110365317UL, random.Next());
        Assert.AreEqual(3203168211198807973UL, random.Next());
        Assert.AreEqual(9817491932198370423UL, random.Next());
    }

    [TestMethod]
    public void NextBelowCoversEveryValueRoughlyEvenly()
    {
        var random = new SplitMix64(7);
        var counts = new int[6];
        for (int i = 0; i < 60000; i++)
        {
            counts[random.NextBelow(6)]++;
        }
        foreach (int c in counts)
        {
            Assert.IsInRange(9500, 10500, c);
        }
    }
}

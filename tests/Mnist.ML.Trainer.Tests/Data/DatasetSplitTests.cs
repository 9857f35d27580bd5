// Seeded splits: the same on every machine (pinned), disjoint, complete and seed-dependent.
using Mnist.ML.Trainer.Data;

namespace Mnist.ML.Trainer.Tests.Data;

[TestClass]
public sealed class DatasetSplitTests
{
    [TestMethod]
    public void PermutationIsPinnedAcrossVersions()
    {
        // Computed by an independent Python implementation of SplitMix64 + Lemire + Fisher-Yates.
        CollectionAssert.AreEqual(new[] { 8, 3, 6, 5, 4, 0, 9, 2, 1, 7 }, DatasetSplit.Permutation(10, 42));
        CollectionAssert.AreEqual(new[] { 6, 7, 0, 3, 5, 4, 2, 1, 9, 8 }, DatasetSplit.Permutation(10, -1));
        CollectionAssert.AreEqual(
            new[] { 18, 19, 5, 15, 11, 7, 9, 14, 6, 3, 12, 13, 10, 2, 4, 1, 16, 0, 8, 17 },
            DatasetSplit.Permutation(20, 0));
    }

    [TestMethod]
    public void PermutationOfEmptyAndSingle()
    {
        Assert.IsEmpty(DatasetSplit.Permutation(0, 1));
        CollectionAssert.AreEqual(new[] { 0 }, DatasetSplit.Permutation(1, 1));
    }

    [TestMethod]
    public void SplitIsDisjointCompleteAndSized()
    {
        DigitDataset set = Numbered(1000);

        var (train, validation) = DatasetSplit.Split(set, 0.2, seed: 5);

        Assert.AreEqual(800, train.Count);
        Assert.AreEqual(200, validation.Count);
        var ids = Ids(train).Concat(Ids(validation)).ToList();
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 1000).ToList(), ids);
        Assert.IsEmpty(Ids(train).Intersect(Ids(validation)));
        // Labels travel with their images.
        for (int i = 0; i < validation.Count; i++)
        {
            Assert.AreEqual((byte)(Id(validation, i) % 10), validation.Labels[i]);
        }
    }

    [TestMethod]
    public void SameSeedSameSplitOtherSeedOtherSplit()
    {
        DigitDataset set = Numbered(300);

        var a = DatasetSplit.Split(set, 0.1, seed: 11);
        var b = DatasetSplit.Split(set, 0.1, seed: 11);
        var c = DatasetSplit.Split(set, 0.1, seed: 12);

        CollectionAssert.AreEqual(Ids(a.Validation), Ids(b.Validation));
        CollectionAssert.AreEqual(Ids(a.Train), Ids(b.Train));
        CollectionAssert.AreNotEqual(Ids(a.Validation), Ids(c.Validation));
    }

    [TestMethod]
    public void ZeroFractionKeepsEverythingForTraining()
    {
        var (train, validation) = DatasetSplit.Split(Numbered(10), 0, seed: 1);

        Assert.AreEqual(10, train.Count);
        Assert.AreEqual(0, validation.Count);
    }

    [TestMethod]
    [DataRow(-0.1)]
    [DataRow(1.0)]
    [DataRow(double.NaN)]
    public void FractionOutsideZeroToOneIsRejected(double fraction)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetSplit.Split(Numbered(10), fraction, seed: 1));
    }

    [TestMethod]
    public void ShuffleFollowsPermutation()
    {
        DigitDataset shuffled = DatasetSplit.Shuffle(Numbered(10), seed: 42);

        CollectionAssert.AreEqual(new[] { 8, 3, 6, 5, 4, 0, 9, 2, 1, 7 }, Ids(shuffled));
    }

    /// <summary>Image i has first pixel i / 10000 and label i % 10, so each image can be identified after a split.</summary>
    private static DigitDataset Numbered(int count)
    {
        var images = new float[count * DigitDataset.ImageSize];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            images[i * DigitDataset.ImageSize] = i / 10000f;
            labels[i] = (byte)(i % 10);
        }
        return new DigitDataset(images, labels);
    }

    private static int Id(DigitDataset set, int index) => (int)MathF.Round(set.Image(index)[0] * 10000f);

    private static int[] Ids(DigitDataset set) => Enumerable.Range(0, set.Count).Select(i => Id(set, i)).ToArray();
}

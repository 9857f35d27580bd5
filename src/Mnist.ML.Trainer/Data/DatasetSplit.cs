// Seeded shuffling and train/validation splitting that give the same result on every machine.
namespace Mnist.ML.Trainer.Data;

/// <summary>
/// Deterministic shuffles and train/validation splits. The permutation is a Fisher-Yates shuffle
/// (from the last index down) driven by SplitMix64 seeded with the seed reinterpreted as unsigned,
/// with Lemire's unbiased bounded integers; it is specified here and pinned by tests, so a seed
/// gives the same split on every .NET version and platform. Stateless and thread-safe.
/// </summary>
public static class DatasetSplit
{
    /// <summary>
    /// Splits <paramref name="dataset"/> into a training and a validation set, disjoint and together
    /// holding every image once: the validation set is the first round(Count * fraction) images of
    /// <see cref="Permutation"/>(Count, seed), the training set the rest, both in permuted order.
    /// </summary>
    /// <param name="dataset">The data set to split.</param>
    /// <param name="validationFraction">Share of images for validation, 0 (none) to below 1.</param>
    /// <param name="seed">The same seed always gives the same split.</param>
    public static (DigitDataset Train, DigitDataset Validation) Split(DigitDataset dataset, double validationFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!(validationFraction >= 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be at least 0 and below 1.");
        }
        int[] order = Permutation(dataset.Count, seed);
        int validation = (int)Math.Round(dataset.Count * validationFraction, MidpointRounding.AwayFromZero);
        return (dataset.Select(order.AsSpan(validation)), dataset.Select(order.AsSpan(0, validation)));
    }

    /// <summary>The images of <paramref name="dataset"/> in the order of <see cref="Permutation"/>(Count, seed).</summary>
    public static DigitDataset Shuffle(DigitDataset dataset, int seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return dataset.Select(Permutation(dataset.Count, seed));
    }

    /// <summary>A permutation of 0..count-1 determined by <paramref name="seed"/> alone (see the type's remarks).</summary>
    public static int[] Permutation(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }
        var random = new SplitMix64(unchecked((ulong)(long)seed));
        for (int i = count - 1; i > 0; i--)
        {
            int j = (int)random.NextBelow((ulong)i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}

// An in-memory labelled set of 28x28 digits in MNIST convention, the unit every loader returns and
// the trainer consumes.
namespace Mnist.ML.Trainer.Data;

/// <summary>
/// Labelled 28x28 digit images in MNIST convention: ink bright, background 0, values 0..1, stored
/// row-major, one image after another. Immutable; safe to read from many threads.
/// </summary>
public sealed class DigitDataset
{
    /// <summary>Pixels per image (28 x 28).</summary>
    public const int ImageSize = 28 * 28;

    private readonly float[] _images;
    private readonly byte[] _labels;

    /// <summary>Wraps images (Count x 784 floats in 0..1) and labels (0..9; 255 for unlabelled).</summary>
    public DigitDataset(float[] images, byte[] labels)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (images.Length != labels.Length * ImageSize)
        {
            throw new ArgumentException($"{images.Length} pixels do not make {labels.Length} images of {ImageSize} pixels.", nameof(images));
        }
        _images = images;
        _labels = labels;
    }

    /// <summary>Number of images.</summary>
    public int Count => _labels.Length;

    /// <summary>All pixels, (Count, 28, 28) row-major.</summary>
    public ReadOnlySpan<float> Images => _images;

    /// <summary>All labels, 0..9 (255 where the source had none).</summary>
    public ReadOnlySpan<byte> Labels => _labels;

    /// <summary>The 784 pixels of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Image(int index) => _images.AsSpan(index * ImageSize, ImageSize);

    /// <summary>The images at <paramref name="indices"/>, in that order, as a new data set.</summary>
    public DigitDataset Select(ReadOnlySpan<int> indices)
    {
        var images = new float[indices.Length * ImageSize];
        var labels = new byte[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Image(indices[i]).CopyTo(images.AsSpan(i * ImageSize, ImageSize));
            labels[i] = _labels[indices[i]];
        }
        return new DigitDataset(images, labels);
    }

    /// <summary>The first <paramref name="count"/> images (all when count exceeds Count).</summary>
    public DigitDataset Take(int count)
    {
        count = Math.Clamp(count, 0, Count);
        return new DigitDataset(_images.AsSpan(0, count * ImageSize).ToArray(), _labels.AsSpan(0, count).ToArray());
    }
}

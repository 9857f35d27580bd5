// Softmax cross-entropy loss over logits (N, K) with integer labels (N), mean over the batch, with
// optional label smoothing as in PyTorch's CrossEntropyLoss(label_smoothing=eps):
//   loss_n = (1 - eps) * -log p[n, y_n] + eps * mean_k(-log p[n, k])
//   dLogits[n, k] = (p[n, k] - ((1 - eps) * [k == y_n] + eps / K)) / N
// Softmax subtracts the row max first (TensorPrimitives.SoftMax does not).
namespace Mnist.ML.Trainer.Layers;

internal static class SoftmaxCrossEntropy
{
    /// <summary>Writes the softmax probabilities and returns the mean loss.</summary>
    public static float Forward(
        ReadOnlySpan<float> logits,     // (N, K)
        ReadOnlySpan<byte> labels,      // (N)
        Span<float> probabilities,      // (N, K)
        int batch, int classes, float labelSmoothing = 0f)
    {
        double total = 0;
        for (int n = 0; n < batch; n++)
        {
            var z = logits.Slice(n * classes, classes);
            var p = probabilities.Slice(n * classes, classes);
            float max = float.NegativeInfinity;
            for (int k = 0; k < classes; k++) max = Math.Max(max, z[k]);
            double sum = 0;
            for (int k = 0; k < classes; k++) sum += Math.Exp(z[k] - max);
            double logSum = Math.Log(sum);
            double nllTarget = 0, nllMean = 0;
            for (int k = 0; k < classes; k++)
            {
                double logP = z[k] - max - logSum;
                p[k] = (float)Math.Exp(logP);
                nllMean -= logP / classes;
                if (k == labels[n]) nllTarget = -logP;
            }
            if (labels[n] >= classes) throw new ArgumentException($"Label {labels[n]} of sample {n} is not a class 0..{classes - 1}.", nameof(labels));
            total += (1 - labelSmoothing) * nllTarget + labelSmoothing * nllMean;
        }
        return (float)(total / batch);
    }

    /// <summary>Adds dLoss/dLogits into <paramref name="dLogits"/>.</summary>
    public static void Backward(
        ReadOnlySpan<float> probabilities, // (N, K)
        ReadOnlySpan<byte> labels,         // (N)
        Span<float> dLogits,               // (N, K), added into
        int batch, int classes, float labelSmoothing = 0f)
    {
        float invN = 1f / batch, off = labelSmoothing / classes, on = 1f - labelSmoothing + off;
        for (int n = 0; n < batch; n++)
        {
            for (int k = 0; k < classes; k++)
            {
                int i = n * classes + k;
                dLogits[i] += (probabilities[i] - (k == labels[n] ? on : off)) * invN;
            }
        }
    }
}

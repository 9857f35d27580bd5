// BatchNorm2d: per-channel normalisation over (N, H, W), PyTorch semantics. Training uses the batch
// mean and biased variance and updates the running statistics with the unbiased variance
// (momentum 0.1); evaluation uses the running statistics. After a flat layer it acts as BatchNorm1d.
// Shapes: input/output (N, C, H, W); weight (gamma), bias (beta), running mean / var (C).
using Mnist.ML.Trainer.Training;

namespace Mnist.ML.Trainer.Layers;

internal sealed class BatchNorm2d(TensorShape input) : Layer(input, input)
{
    private float[] _xHat = [];       // (N, C, H, W) normalised input, saved by forward
    private readonly float[] _invStd = new float[input.Channels]; // (C) 1/sqrt(var + eps) used by the last forward
    private bool _trainingForward;

    public int Channels => InputShape.Channels;
    public float Epsilon { get; } = 1e-5f;
    public float Momentum { get; } = 0.1f;

    public ParameterSlice WeightSlice { get; private set; } = null!;
    public ParameterSlice BiasSlice { get; private set; } = null!;
    public ParameterSlice RunningMeanSlice { get; private set; } = null!;
    public ParameterSlice RunningVarSlice { get; private set; } = null!;

    public Span<float> Weight => Params.AsSpan(WeightSlice.Offset, Channels);
    public Span<float> Bias => Params.AsSpan(BiasSlice.Offset, Channels);
    public Span<float> DWeight => Grads.AsSpan(WeightSlice.Offset, Channels);
    public Span<float> DBias => Grads.AsSpan(BiasSlice.Offset, Channels);
    public Span<float> RunningMean => Buffers.AsSpan(RunningMeanSlice.Offset, Channels);
    public Span<float> RunningVar => Buffers.AsSpan(RunningVarSlice.Offset, Channels);

    public override string SpecToken => "bn";
    public override int ParameterCount => 2 * Channels;
    public override int BufferCount => 2 * Channels;

    public override void Bind(float[] parameters, float[] gradients, int parameterOffset, float[] buffers, int bufferOffset)
    {
        base.Bind(parameters, gradients, parameterOffset, buffers, bufferOffset);
        Slices.Clear();
        WeightSlice = AddSlice("weight", parameterOffset, [Channels]);
        BiasSlice = AddSlice("bias", parameterOffset + Channels, [Channels]);
        RunningMeanSlice = AddSlice("running_mean", bufferOffset, [Channels], trainable: false);
        RunningVarSlice = AddSlice("running_var", bufferOffset + Channels, [Channels], trainable: false);
    }

    public override void Initialize(Rng rng, WeightInit init)
    {
        Weight.Fill(1f);
        Bias.Clear();
        RunningMean.Clear();
        RunningVar.Fill(1f);
    }

    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int batch, bool training, Rng? rng)
    {
        int c = Channels, hw = InputShape.Height * InputShape.Width, m = batch * hw;
        _xHat = Grow(_xHat, input.Length);
        _trainingForward = training;
        Span<float> gamma = Weight, beta = Bias, runMean = RunningMean, runVar = RunningVar;
        for (int ch = 0; ch < c; ch++)
        {
            double mean, variance;
            if (training)
            {
                double sum = 0;
                for (int n = 0; n < batch; n++)
                {
                    var plane = input.Slice((n * c + ch) * hw, hw);
                    for (int i = 0; i < hw; i++) sum += plane[i];
                }
                mean = sum / m;
                double sq = 0;
                for (int n = 0; n < batch; n++)
                {
                    var plane = input.Slice((n * c + ch) * hw, hw);
                    for (int i = 0; i < hw; i++) { double d = plane[i] - mean; sq += d * d; }
                }
                variance = sq / m;
                runMean[ch] = (float)((1 - Momentum) * runMean[ch] + Momentum * mean);
                double unbiased = m > 1 ? sq / (m - 1) : variance;
                runVar[ch] = (float)((1 - Momentum) * runVar[ch] + Momentum * unbiased);
            }
            else
            {
                mean = runMean[ch];
                variance = runVar[ch];
            }
            float invStd = (float)(1.0 / Math.Sqrt(variance + Epsilon));
            _invStd[ch] = invStd;
            float mu = (float)mean;
            for (int n = 0; n < batch; n++)
            {
                int start = (n * c + ch) * hw;
                for (int i = start; i < start + hw; i++)
                {
                    float xh = (input[i] - mu) * invStd;
                    _xHat[i] = xh;
                    output[i] = gamma[ch] * xh + beta[ch];
                }
            }
        }
    }

    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> dOutput, Span<float> dInput, int batch)
    {
        int c = Channels, hw = InputShape.Height * InputShape.Width, m = batch * hw;
        Span<float> gamma = Weight, dGamma = DWeight, dBeta = DBias;
        for (int ch = 0; ch < c; ch++)
        {
            double sumDy = 0, sumDyXHat = 0;
            for (int n = 0; n < batch; n++)
            {
                int start = (n * c + ch) * hw;
                for (int i = start; i < start + hw; i++) { sumDy += dOutput[i]; sumDyXHat += dOutput[i] * _xHat[i]; }
            }
            dGamma[ch] += (float)sumDyXHat;
            dBeta[ch] += (float)sumDy;
            if (dInput.IsEmpty) continue;
            float scale = gamma[ch] * _invStd[ch];
            if (!_trainingForward)
            {
                // running statistics are constants: dx = gamma * invStd * dy
                for (int n = 0; n < batch; n++)
                {
                    int start = (n * c + ch) * hw;
                    for (int i = start; i < start + hw; i++) dInput[i] += scale * dOutput[i];
                }
                continue;
            }
            // dx = gamma * invStd / M * (M dy - sum(dy) - xHat * sum(dy xHat))
            float meanDy = (float)(sumDy / m), meanDyXHat = (float)(sumDyXHat / m);
            for (int n = 0; n < batch; n++)
            {
                int start = (n * c + ch) * hw;
                for (int i = start; i < start + hw; i++) dInput[i] += scale * (dOutput[i] - meanDy - _xHat[i] * meanDyXHat);
            }
        }
    }
}

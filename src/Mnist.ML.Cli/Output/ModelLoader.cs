// Loads the model a command runs: a given .onnx file, or the one embedded in Mnist.ML.
using Mnist.ML.Onnx;

namespace Mnist.ML.Cli.Output;

internal static class ModelLoader
{
    /// <summary>Loads <paramref name="path"/>, or the embedded model when it is null; failures become input errors (exit 3).</summary>
    public static MnistPredictor Load(string? path)
    {
        try
        {
            return path is null ? MnistPredictor.Load() : MnistPredictor.Load(path);
        }
        catch (OnnxModelException e)
        {
            throw new CliException(ExitCode.InputError, $"cannot use model {path ?? "(embedded)"}: {e.Message}", e);
        }
        catch (InvalidOperationException e) when (path is null)
        {
            throw new CliException(ExitCode.InputError, $"no model given and {e.Message} Pass --model X.onnx (e.g. from 'mnist train').", e);
        }
    }
}

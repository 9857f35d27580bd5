// Removes the temp folder of PyTorch-exported models once the test assembly is done.
namespace Mnist.ML.Tests.Onnx;

[TestClass]
public sealed class OnnxTestCleanup
{
    [AssemblyCleanup]
    public static void DeleteExportedModels() => ReferenceTools.DeleteTorchModels();
}

// The test assembly's one [AssemblyCleanup] (MSTest allows only one per assembly): deletes the temp folders
// of generated images (Imaging/TestImages) and of PyTorch-exported models (Onnx/ReferenceTools).
using Mnist.ML.Tests.Imaging;
using Mnist.ML.Tests.Onnx;

namespace Mnist.ML.Tests;

[TestClass]
public static class AssemblyCleanup
{
    [AssemblyCleanup]
    public static void DeleteTempFolders()
    {
        TestImages.DeleteTempDirs();
        ReferenceTools.DeleteTorchModels();
    }
}

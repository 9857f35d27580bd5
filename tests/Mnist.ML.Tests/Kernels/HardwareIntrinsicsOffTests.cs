// Reruns every GEMM and convolution check in a child process with DOTNET_EnableHWIntrinsic=0, the
// way System.Numerics.Tensors tests its fallbacks: proves the scalar paths a CPU without
// AVX2/FMA (or SSE) would take, which the in-process tests on this machine cannot reach.
using System.Diagnostics;
using Mnist.ML.Testing;

namespace Mnist.ML.Tests.Kernels;

[TestClass]
public sealed class HardwareIntrinsicsOffTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [TestMethod]
    [Timeout(300_000, CooperativeCancellation = true)]
    public void KernelsMatchTheOraclesWithIntrinsicsOff()
    {
        string dll = TestPaths.Combine("tests", "Mnist.ML.KernelCheck", "bin", Configuration, "net10.0", "Mnist.ML.KernelCheck.dll");
        Assert.IsTrue(File.Exists(dll), $"{dll} not found; it is built with Mnist.ML.Tests (ProjectReference), so rebuild the test project.");

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(dll);
        start.Environment["DOTNET_EnableHWIntrinsic"] = "0";
        using var process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string output = stdout + stderr.Result;

        // The child must really have run without intrinsics, or this test proves nothing.
        StringAssert.Contains(output, "GemmPath=Scalar", output);
        Assert.AreEqual(0, process.ExitCode, output);
        StringAssert.Contains(output, "OK ", output);
    }
}

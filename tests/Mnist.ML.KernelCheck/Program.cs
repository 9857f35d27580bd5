// Runs every GEMM and convolution case of KernelCases with the automatically chosen kernels and
// prints which SIMD paths were live; exit code 1 and the differences when any case disagrees.
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Mnist.ML.Kernels;
using Mnist.ML.Tests.Kernels;

Console.WriteLine($"Vector128 accelerated={Vector128.IsHardwareAccelerated} Avx2={Avx2.IsSupported} Fma={Fma.IsSupported} GemmPath={Gemm.Resolve(GemmPath.Auto)}");
var failures = new List<string>();
int cases = 0;
foreach (var (m, n, k) in KernelCases.GemmSizes())
    for (int flags = 0; flags < 8; flags++)
    {
        cases++;
        string? failure = KernelCases.CheckGemm(m, n, k, (flags & 1) != 0, (flags & 2) != 0, (flags & 4) != 0, GemmPath.Auto, threads: 2);
        if (failure != null) failures.Add(failure);
    }
foreach (ConvGeometry g in KernelCases.ConvGeometries())
    foreach (int threads in new[] { 1, 2 })
    {
        cases += 2;
        if (KernelCases.CheckConvForward(g, withBias: true, threads) is { } forward) failures.Add(forward);
        if (KernelCases.CheckConvBackward(g, withDInput: true, withDBias: true, threads) is { } backward) failures.Add(backward);
    }
foreach (string failure in failures.Take(20)) Console.WriteLine("FAIL " + failure);
Console.WriteLine(failures.Count == 0 ? $"OK {cases} cases" : $"FAILED {failures.Count} of {cases} cases");
return failures.Count == 0 ? 0 : 1;

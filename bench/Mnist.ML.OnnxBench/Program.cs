// Measures the managed ONNX executor the way scripts/bench-onnx.sh measures ONNX Runtime:
//   batch-1 latency: median of 2000 single-image runs (after 300 warm-up runs and at least 2 s);
//   batch-256 throughput: images per second over 30 runs (after 5 warm-up runs and at least 1 s), best of 3 rounds.
// Also, for a shared machine: batch-1 mean CPU time of the calling thread (Linux; meaningful at 1
// thread, where no other thread works for the call) and bytes allocated per batch-1 call (all
// threads; the returned tensors included).
// Usage: dotnet Mnist.ML.OnnxBench.dll MODEL.onnx THREADS [MNIST_DIR]
using System.Diagnostics;
using Mnist.ML.Kernels;
using Mnist.ML.Onnx;

string modelPath = args[0];
int threads = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
string mnist = args.Length > 2 ? args[2] : "data/mnist";
KernelOptions.MaxThreads = threads;

byte[] file = File.ReadAllBytes(Path.Combine(mnist, "t10k-images-idx3-ubyte"));
var images = new float[1024 * 784];
for (int i = 0; i < images.Length; i++) images[i] = file[16 + i] / 255f;

var model = OnnxModel.Load(modelPath);

const int Warmup = 300, Runs = 2000;
var times = new double[Runs];
// At least Warmup runs and 2 s: .NET recompiles hot methods with full optimisation only after they
// have been called 30 times and ~100 ms passed without new methods, so 300 quick runs (~10 ms) can
// leave the timed runs on unoptimised tier-0 code (medians then jump 2-3x from run to run).
var warm = Stopwatch.StartNew();
for (int i = 0; i < Warmup || warm.ElapsedMilliseconds < 2000; i++) model.Run(images.AsSpan(i % 1024 * 784, 784), [1, 1, 28, 28]);
for (int i = 0; i < Runs; i++)
{
    long start = Stopwatch.GetTimestamp();
    model.Run(images.AsSpan(i % 1024 * 784, 784), [1, 1, 28, 28]);
    times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
}
Array.Sort(times);
double median = times[Runs / 2];

double cpuStart = ThreadCpuMicroseconds();
for (int i = 0; i < Runs; i++) model.Run(images.AsSpan(i % 1024 * 784, 784), [1, 1, 28, 28]);
double cpuPerCall = (ThreadCpuMicroseconds() - cpuStart) / Runs;
long allocStart = GC.GetTotalAllocatedBytes(precise: true);
for (int i = 0; i < Runs; i++) model.Run(images.AsSpan(i % 1024 * 784, 784), [1, 1, 28, 28]);
long allocPerCall = (GC.GetTotalAllocatedBytes(precise: true) - allocStart) / Runs;

const int Batch = 256;
warm.Restart();
for (int i = 0; i < 5 || warm.ElapsedMilliseconds < 1000; i++) model.Run(images.AsSpan(i % 4 * Batch * 784, Batch * 784), [Batch, 1, 28, 28]);
double best = 0;
for (int round = 0; round < 3; round++)
{
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < 30; i++) model.Run(images.AsSpan(i % 4 * Batch * 784, Batch * 784), [Batch, 1, 28, 28]);
    best = Math.Max(best, 30 * Batch / sw.Elapsed.TotalSeconds);
}
Console.WriteLine($"RESULT ours {Path.GetFileNameWithoutExtension(modelPath)} threads {threads} batch1_median_us {median:F1} batch256_img_per_s {best:F0} batch1_thread_cpu_us {cpuPerCall:F1} batch1_alloc_bytes {allocPerCall}");

// CLOCK_THREAD_CPUTIME_ID: CPU time of the calling thread, which other processes cannot inflate.
static double ThreadCpuMicroseconds()
{
    if (!OperatingSystem.IsLinux()) return double.NaN;
    ClockGetTime(3, out TimeSpec t);
    return t.Seconds * 1e6 + t.Nanoseconds / 1e3;
}

[System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
static extern int ClockGetTime(int clock, out TimeSpec time);

#pragma warning disable CS0649 // written by clock_gettime
struct TimeSpec
{
    public long Seconds;
    public long Nanoseconds;
}
#pragma warning restore CS0649

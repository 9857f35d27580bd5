// Process-wide knobs of the kernels (thread count) and the per-thread pinned scratch memory they
// share, so that steady-state calls allocate nothing.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mnist.ML.Kernels;

/// <summary>Settings read by every kernel. Thread-safe: plain reads of a volatile field.</summary>
internal static class KernelOptions
{
    private static volatile int maxThreads = ReadThreadsFromEnvironment();

    /// <summary>
    /// How many threads one kernel call may use (GEMM blocks, images of a batch). Defaults to
    /// $MNIST_THREADS, else the processor count. Benchmarks set it to compare 1 and 2 threads.
    /// </summary>
    public static int MaxThreads
    {
        get => maxThreads;
        set => maxThreads = Math.Max(1, value);
    }

    private static int ReadThreadsFromEnvironment()
    {
        string? text = Environment.GetEnvironmentVariable("MNIST_THREADS");
        return int.TryParse(text, out int n) && n > 0 ? n : Environment.ProcessorCount;
    }
}

/// <summary>
/// Per-thread scratch buffers, pinned and 64-byte aligned so kernels can hold raw pointers to them.
/// Each slot grows to the largest size asked for and is then reused: no allocation in steady state.
/// A pointer is valid until the same thread asks for the same slot again.
/// </summary>
internal static unsafe class Scratch
{
    internal const int PackA = 0, PackB = 1, DCol = 2, Weight = 3, WeightT = 4, Im2ColRow = 5, DirectInput = 6, DWeightPartials = 7,
        GroupOutput = 8, GroupDOutput = 9, PaddedInput = 10, Col2ImAccumulator = 11, TapOffsets = 12;
    private const int SlotCount = 13;

    [ThreadStatic] private static float[]?[]? slots;

    public static float* Get(int slot, long length)
    {
        float[]?[] s = slots ??= new float[]?[SlotCount];
        float[]? array = s[slot];
        // 16 extra floats leave room to round the start up to a 64-byte boundary, 16 more are slack
        // that vector stores may spill into (see Transpose.RowsToPanel).
        if (array == null || array.Length < length + 32)
        {
            long grown = Math.Max(length + 32, array == null ? 0 : array.Length * 3L / 2);
            array = GC.AllocateUninitializedArray<float>(checked((int)grown), pinned: true);
            s[slot] = array;
        }
        nint p = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        return (float*)((p + 63) & ~(nint)63);
    }
}

// General matrix multiply on row-major float spans: the one hot loop under Linear, Gemm/MatMul and
// im2col convolution, shared by the trainer and the ONNX executor.
//
// Shapes: M rows of the result, N columns, K the shared dimension.
//   op(A) (M, K): A is stored (M, K), or (K, M) when transposeA.
//   op(B) (K, N): B is stored (K, N), or (N, K) when transposeB.
//   C (M, N) = op(A) * op(B), or C += op(A) * op(B) when accumulate.
//
// How the fast path works (the Goto/BLIS scheme):
//   for each NC-wide column block of C            (B block sized for the L3 cache)
//     for each KC-deep slice of K                 (one packed B block: KC x NC)
//       for each MC-high row block of C           (one packed A block: MC x KC, sized for L2; RowBlock)
//         for each NR-wide panel, MR-high panel   (the MR x NR micro-kernel; B panel stays in L1)
// Packing copies op(A) into MR-row panels stored p-major ([p][r], MR floats per p) and op(B) into
// NR-column panels stored p-major ([p][c], NR floats per p), zero-padded past the edge of the
// matrix. The transpose flags are therefore absorbed by the packers, and the micro-kernel only
// ever sees unit-stride panels. Edge tiles are computed in full (on the zero padding) and only
// their valid part is written back; a last panel at most 8 columns wide uses a half-width kernel.
// Vector-matrix products (m or n == 1) skip packing altogether. Above ParallelThreshold the
// product is split into column (or row) bands, one per thread, each packing what it reads
// (KernelParallel: the caller takes a band too; nothing is allocated per call once warm).
// Thread-safe: pack buffers are per-thread scratch (Scratch), so concurrent callers do not share.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Mnist.ML.Kernels;

/// <summary>Which micro-kernel runs. Auto picks the fastest the hardware supports; tests force the others.</summary>
internal enum GemmPath { Auto, Avx2, Vector128, Scalar }

/// <summary>Writes rows [i0, i0 + mc) x depth [p0, p0 + kc) of op(A) as ceil(mc / MR) panels of kc * MR floats.</summary>
internal unsafe interface IPackA
{
    void Pack(float* dst, int i0, int mc, int p0, int kc);

    /// <summary>The block starting at row i0 (a multiple of MR), depth p0 (a multiple of SliceDepth(k)) when A was
    /// packed ahead of time (see <see cref="PrepackedA"/>), else null and the driver calls Pack.</summary>
    float* Prepacked(int i0, int p0, int kc);
}

/// <summary>Writes depth [p0, p0 + kc) x columns [j0, j0 + nc) of op(B) as ceil(nc / NR) panels of kc * NR floats.</summary>
internal unsafe interface IPackB
{
    void Pack(float* dst, int p0, int kc, int j0, int nc);
}

internal static unsafe class Gemm
{
    /// <summary>Micro-tile: MR rows x NR columns of C held in registers (AVX2: 6 x 2 Vector256 = 12 accumulators).</summary>
    internal const int MR = 6, NR = 16;

    // KC x NR floats of B (KC = SliceDepth(k) <= 320: <= 20 KiB) stay in L1 while MC x KC of A
    // (MC <= MCMax: <= 180 KiB) streams from L2.
    private const int MCMax = 144, NC = 2048;

    /// <summary>
    /// Depth of the K slices for a product of depth k: equal slices of at most KCMax, so that cnn3's
    /// K = 288 and 576 run as one and two slices of 288 instead of 256 + 32 and 256 + 256 + 64 (a
    /// thin last slice pays a full pass over the C tiles for few FMAs). 320 keeps a B panel (16 x 320
    /// floats) plus an A panel (6 x 320) at 28 KB, inside a 32 KB L1.
    /// </summary>
    internal static int SliceDepth(int k)
    {
        const int KCMax = 320;
        if (k <= KCMax) return Math.Max(1, k);
        int slices = (k + KCMax - 1) / KCMax;
        return (k + slices - 1) / slices;
    }

    /// <summary>
    /// Below this many multiply-adds (m * n * k, ~50 us on one core) one thread does it all: waking a
    /// pool thread costs several microseconds and the split halves only the compute. cnn3's conv2 and
    /// conv3 at batch 1 (3.6 M) are above it; LeNet-5's layers are below.
    /// </summary>
    internal const long ParallelThreshold = 1L << 21;

    /// <summary>C (M, N) = op(A) (M, K) * op(B) (K, N), or += when <paramref name="accumulate"/>.</summary>
    public static void Multiply(
        ReadOnlySpan<float> a, // (M, K) or (K, M) when transposeA
        ReadOnlySpan<float> b, // (K, N) or (N, K) when transposeB
        Span<float> c,         // (M, N)
        int m, int n, int k,
        bool transposeA = false, bool transposeB = false, bool accumulate = false)
    {
        Multiply(a, b, c, m, n, k, transposeA, transposeB, accumulate, KernelOptions.MaxThreads, GemmPath.Auto);
    }

    /// <summary>As <see cref="Multiply(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, bool, bool, bool)"/>
    /// with an explicit thread budget and micro-kernel (tests and benchmarks).</summary>
    internal static void Multiply(
        ReadOnlySpan<float> a, // (M, K) or (K, M) when transposeA
        ReadOnlySpan<float> b, // (K, N) or (N, K) when transposeB
        Span<float> c,         // (M, N)
        int m, int n, int k,
        bool transposeA, bool transposeB, bool accumulate, int maxThreads, GemmPath path)
    {
        CheckLengths(a.Length, b.Length, c.Length, m, n, k);
        if (m == 0 || n == 0) return;
        if ((m == 1 || n == 1) && k > 0)
        {
            // A vector-matrix product (a Linear layer at batch 1) reads each matrix element once:
            // packing it would cost more than the product, so use vectorised dots / axpys instead.
            long work = (long)Math.Max(m, n) * k;
            int threads = work < VectorParallelThreshold ? 1 : Math.Min(maxThreads, Math.Max(m, n) / 64);
            if (threads > 1)
            {
                fixed (float* pa = a, pb = b, pc = c) MultiplyVectorParallel(pa, pb, pc, m, n, k, transposeA, transposeB, accumulate, threads);
                return;
            }
            MultiplyVector(a, b, c, m, n, k, transposeA, transposeB, accumulate, 0, Math.Max(m, n));
            return;
        }
        fixed (float* pa = a, pb = b, pc = c)
        {
            // op(A)(i, p) = A[i * rowStride + p * depthStride]; likewise op(B)(p, j).
            var packA = new StridedPackA(pa, transposeA ? 1 : k, transposeA ? m : 1);
            var packB = new StridedPackB(pb, transposeB ? 1 : n, transposeB ? k : 1);
            Run(packA, packB, pc, n, m, n, k, accumulate, maxThreads, path);
        }
    }

    /// <summary>
    /// Multiply-adds above which a vector-matrix product splits its outputs between threads: a batch-1
    /// fully connected layer reads its whole weight matrix once (cnn3's 1152x128: 590 KB; the shipped
    /// model's 3136x256: 3.2 MB), so it is bound by memory bandwidth, and two cores read twice as fast.
    /// </summary>
    internal const long VectorParallelThreshold = 1L << 17;

    /// <summary>
    /// m == 1 or n == 1, outputs [o0, o1) of the max(m, n). Either the other operand's rows are
    /// contiguous along k (dot products), or its rows are contiguous along the output (one axpy per step of k).
    /// </summary>
    private static void MultiplyVector(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k, bool transposeA, bool transposeB, bool accumulate, int o0, int o1)
    {
        // With one row (or column) the vector operand is contiguous whatever its transpose flag.
        ReadOnlySpan<float> vector = m == 1 ? a[..k] : b[..k];
        ReadOnlySpan<float> matrix = m == 1 ? b : a;
        int outputs = m == 1 ? n : m;
        // Dots when the matrix is stored (outputs, k): B (N, K) transposed, or A (M, K) as is.
        bool rowsAlongK = m == 1 ? transposeB : !transposeA;
        Span<float> result = c[o0..o1];
        if (rowsAlongK)
        {
            for (int o = o0; o < o1; o++)
            {
                float dot = TensorPrimitives.Dot(vector, matrix.Slice(o * k, k));
                result[o - o0] = accumulate ? result[o - o0] + dot : dot;
            }
            return;
        }
        if (!accumulate) result.Clear();
        for (int p = 0; p < k; p++)
        {
            TensorPrimitives.MultiplyAdd(matrix.Slice(p * outputs + o0, o1 - o0), vector[p], result, result);
        }
    }

    private static void MultiplyVectorParallel(float* a, float* b, float* c, int m, int n, int k,
        bool transposeA, bool transposeB, bool accumulate, int threads)
    {
        VectorBand band = KernelParallel.Rent<VectorBand>();
        (band.A, band.B, band.C, band.M, band.N, band.K, band.TransposeA, band.TransposeB, band.Accumulate) =
            ((nint)a, (nint)b, (nint)c, m, n, k, transposeA, transposeB, accumulate);
        KernelParallel.RunAndReturn(band, threads);
    }

    /// <summary>One thread's run of outputs of a vector-matrix product; cached per calling thread (no allocation once warm).</summary>
    private sealed class VectorBand : IParallelBody
    {
        internal nint A, B, C;
        internal int M, N, K;
        internal bool TransposeA, TransposeB, Accumulate;

        public void Invoke(int t, int parts)
        {
            int outputs = Math.Max(M, N);
            // Runs of whole 16-float blocks, so the parts' outputs do not share cache lines.
            int blocks = (outputs + 15) / 16;
            int o0 = Math.Min(outputs, t * blocks / parts * 16), o1 = Math.Min(outputs, (t + 1) * blocks / parts * 16);
            if (o0 >= o1) return;
            MultiplyVector(new ReadOnlySpan<float>((float*)A, M * K), new ReadOnlySpan<float>((float*)B, K * N), new Span<float>((float*)C, M * N),
                M, N, K, TransposeA, TransposeB, Accumulate, o0, o1);
        }
    }

    /// <summary>
    /// The blocked driver over any packers: C (m x n, row stride ldc) = or += op(A) * op(B).
    /// Convolution passes packers that read im2col patches straight from the image.
    /// </summary>
    internal static void Run<TA, TB>(TA packA, TB packB, float* c, int ldc, int m, int n, int k,
        bool accumulate, int maxThreads, GemmPath path = GemmPath.Auto)
        where TA : struct, IPackA
        where TB : struct, IPackB
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            // An empty sum: C = 0, or C unchanged when accumulating.
            if (!accumulate)
            {
                for (int i = 0; i < m; i++) new Span<float>(c + (long)i * ldc, n).Clear();
            }
            return;
        }
        path = Resolve(path);

        int mPanels = (m + MR - 1) / MR, nPanels = (n + NR - 1) / NR;
        int threads = Math.Min(ThreadsForWork((long)m * n * k, maxThreads), Math.Max(mPanels, nPanels));
        if (threads <= 1)
        {
            RunRegion(packA, packB, c, ldc, 0, m, 0, n, k, accumulate, path);
            return;
        }

        RunParallel(packA, packB, c, ldc, m, n, k, accumulate, threads, path);
    }

    /// <summary>
    /// Each thread takes a band of C and packs what it needs itself. Splitting by columns makes every
    /// thread pack all of A (m * k) and vice versa, so split the way that copies the smaller; A packed
    /// ahead of time is free to share, so splitting columns then duplicates nothing. (A method of its
    /// own so the single-threaded path does not allocate the lambda's closure.)
    /// </summary>
    private static void RunParallel<TA, TB>(TA packA, TB packB, float* c, int ldc, int m, int n, int k,
        bool accumulate, int threads, GemmPath path)
        where TA : struct, IPackA
        where TB : struct, IPackB
    {
        int mPanels = (m + MR - 1) / MR, nPanels = (n + NR - 1) / NR;
        bool canSplitColumns = nPanels >= threads, canSplitRows = mPanels >= threads;
        bool splitColumns = canSplitColumns && (!canSplitRows || n >= m || packA.Prepacked(0, 0, SliceDepth(k)) != null);
        int panelsPerThread = ((splitColumns ? nPanels : mPanels) + threads - 1) / threads;
        Band<TA, TB> band = KernelParallel.Rent<Band<TA, TB>>();
        band.Set(packA, packB, c, ldc, m, n, k, accumulate, path, splitColumns, panelsPerThread);
        KernelParallel.RunAndReturn(band, threads);
    }

    /// <summary>One thread's band of C: columns [t * panels * NR, ...) or rows likewise. Instances are
    /// cached per calling thread, so a threaded call allocates nothing once warm.</summary>
    private sealed class Band<TA, TB> : IParallelBody
        where TA : struct, IPackA
        where TB : struct, IPackB
    {
        private TA _packA;
        private TB _packB;
        private float* _c;
        private int _ldc, _m, _n, _k, _panelsPerThread;
        private bool _accumulate, _splitColumns;
        private GemmPath _path;

        public void Set(TA packA, TB packB, float* c, int ldc, int m, int n, int k, bool accumulate, GemmPath path, bool splitColumns, int panelsPerThread)
        {
            _c = c;
            (_packA, _packB, _ldc, _m, _n, _k) = (packA, packB, ldc, m, n, k);
            (_accumulate, _path, _splitColumns, _panelsPerThread) = (accumulate, path, splitColumns, panelsPerThread);
        }

        public void Invoke(int t, int parts)
        {
            if (_splitColumns)
            {
                int j0 = t * _panelsPerThread * NR, j1 = Math.Min(_n, j0 + _panelsPerThread * NR);
                if (j0 < j1) RunRegion(_packA, _packB, _c, _ldc, 0, _m, j0, j1, _k, _accumulate, _path);
            }
            else
            {
                int i0 = t * _panelsPerThread * MR, i1 = Math.Min(_m, i0 + _panelsPerThread * MR);
                if (i0 < i1) RunRegion(_packA, _packB, _c, _ldc, i0, i1, 0, _n, _k, _accumulate, _path);
            }
        }
    }

    /// <summary>
    /// Threads worth using for this many multiply-adds: one below the threshold, then at most one per
    /// half-threshold of work, so a many-core machine does not cut a mid-sized product into slivers.
    /// </summary>
    internal static int ThreadsForWork(long multiplyAdds, int maxThreads) =>
        multiplyAdds < ParallelThreshold ? 1 : (int)Math.Clamp(multiplyAdds / (ParallelThreshold / 2), 1, Math.Max(1, maxThreads));

    internal static GemmPath Resolve(GemmPath path)
    {
        if (path == GemmPath.Auto)
        {
            if (Avx2.IsSupported && Fma.IsSupported) return GemmPath.Avx2;
            return Vector128.IsHardwareAccelerated ? GemmPath.Vector128 : GemmPath.Scalar;
        }
        if (path == GemmPath.Avx2 && !(Avx2.IsSupported && Fma.IsSupported)) throw new PlatformNotSupportedException("AVX2+FMA GEMM path asked for on a CPU without it.");
        return path;
    }

    /// <summary>
    /// Height of the A blocks for a region of <paramref name="rows"/> rows: equal blocks of at most
    /// MCMax rows (rounded up to whole MR panels), so that 128 rows run as one block instead of
    /// 96 + 32, whose second pass over the packed B block gave each B panel only 6 micro-kernel calls.
    /// </summary>
    internal static int RowBlock(int rows)
    {
        int blocks = (rows + MCMax - 1) / MCMax;
        return RoundUp((rows + blocks - 1) / blocks, MR);
    }

    /// <summary>Single-threaded blocked GEMM over rows [i0, i1) x columns [j0, j1) of C.</summary>
    private static void RunRegion<TA, TB>(TA packA, TB packB, float* c, int ldc, int i0, int i1, int j0, int j1, int k,
        bool accumulate, GemmPath path)
        where TA : struct, IPackA
        where TB : struct, IPackB
    {
        int kcMax = SliceDepth(k);
        int ncMax = Math.Min(NC, RoundUp(j1 - j0, NR));
        int mcMax = RowBlock(i1 - i0);
        float* bp = Scratch.Get(Scratch.PackB, (long)kcMax * ncMax);
        float* ap = Scratch.Get(Scratch.PackA, (long)kcMax * mcMax);

        for (int jc = j0; jc < j1; jc += NC)
        {
            int nc = Math.Min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                // Only the first K slice may overwrite C; later slices add to it.
                bool add = accumulate || pc > 0;
                packB.Pack(bp, pc, kc, jc, nc);
                for (int ic = i0; ic < i1; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, i1 - ic);
                    float* aBlock = packA.Prepacked(ic, pc, kc);
                    if (aBlock == null)
                    {
                        packA.Pack(ap, ic, mc, pc, kc);
                        aBlock = ap;
                    }
                    for (int jr = 0; jr < nc; jr += NR)
                    {
                        int nr = Math.Min(NR, nc - jr);
                        float* bPanel = bp + (long)jr * kc;
                        for (int ir = 0; ir < mc; ir += MR)
                        {
                            int mr = Math.Min(MR, mc - ir);
                            float* cTile = c + (long)(ic + ir) * ldc + jc + jr;
                            float* aPanel = aBlock + (long)ir * kc;
                            switch (path)
                            {
                                // A last panel at most 8 wide (N = 49 leaves 1) runs half the FMAs.
                                case GemmPath.Avx2 when nr <= 8: KernelAvx2Narrow(kc, aPanel, bPanel, cTile, ldc, mr, nr, add); break;
                                case GemmPath.Avx2: KernelAvx2(kc, aPanel, bPanel, cTile, ldc, mr, nr, add); break;
                                case GemmPath.Vector128: KernelVector128(kc, aPanel, bPanel, cTile, ldc, mr, nr, add); break;
                                default: KernelScalar(kc, aPanel, bPanel, cTile, ldc, mr, nr, add); break;
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Floats needed by <see cref="PackAll"/> for an m x k op(A).</summary>
    internal static long PackedALength(int m, int k) => (long)RoundUp(m, MR) * k;

    /// <summary>
    /// Packs all of op(A) once, K slice after K slice (SliceDepth), in the layout the driver reads, so a matrix
    /// used many times (convolution weights across the images of a batch) is packed once per call.
    /// </summary>
    internal static PrepackedA PackAll<TA>(TA packA, float* dst, int m, int k)
        where TA : struct, IPackA
    {
        int mPadded = RoundUp(m, MR);
        int depth = SliceDepth(k);
        for (int pc = 0; pc < k; pc += depth)
        {
            packA.Pack(dst + (long)pc * mPadded, 0, m, pc, Math.Min(depth, k - pc));
        }
        return new PrepackedA(dst, mPadded);
    }

    internal static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    /// <summary>
    /// 6 x 16 AVX2+FMA micro-kernel. Lanes: row r of the tile lives in accumulators c{r}0 (columns
    /// 0..7) and c{r}1 (columns 8..15); each step p loads two 8-lane vectors of the B panel and
    /// broadcasts one A value per row. The panels are zero-padded, so the loop never branches on
    /// the edge; an edge tile (mr &lt; 6 or nr &lt; 16) goes through a stack tile and copies only its
    /// valid mr x nr part into C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void KernelAvx2(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, bool add)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Avx.LoadVector256(b);
            Vector256<float> b1 = Avx.LoadVector256(b + 8);
            Vector256<float> av = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(av, b0, c00); c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(av, b0, c10); c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(av, b0, c20); c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(av, b0, c30); c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Avx.BroadcastScalarToVector256(a + 4);
            c40 = Fma.MultiplyAdd(av, b0, c40); c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Avx.BroadcastScalarToVector256(a + 5);
            c50 = Fma.MultiplyAdd(av, b0, c50); c51 = Fma.MultiplyAdd(av, b1, c51);
            a += MR;
            b += NR;
        }

        if (mr == MR && nr == NR)
        {
            Store(c, c00, c01, add); Store(c + ldc, c10, c11, add); Store(c + 2 * ldc, c20, c21, add);
            Store(c + 3 * ldc, c30, c31, add); Store(c + 4 * ldc, c40, c41, add); Store(c + 5 * ldc, c50, c51, add);
            return;
        }
        float* tile = stackalloc float[MR * NR];
        c00.Store(tile); c01.Store(tile + 8); c10.Store(tile + 16); c11.Store(tile + 24);
        c20.Store(tile + 32); c21.Store(tile + 40); c30.Store(tile + 48); c31.Store(tile + 56);
        c40.Store(tile + 64); c41.Store(tile + 72); c50.Store(tile + 80); c51.Store(tile + 88);
        WriteTile(tile, c, ldc, mr, nr, add);

        static void Store(float* row, Vector256<float> lo, Vector256<float> hi, bool add)
        {
            if (add)
            {
                lo += Avx.LoadVector256(row);
                hi += Avx.LoadVector256(row + 8);
            }
            Avx.Store(row, lo);
            Avx.Store(row + 8, hi);
        }
    }

    /// <summary>
    /// 6 x 8 AVX2+FMA kernel for a panel with at most 8 valid columns: lanes 0..7 of the 16-wide panel
    /// (the rest is zero padding and skipped), one accumulator per row, same stack-tile write-back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void KernelAvx2Narrow(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, bool add)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Avx.LoadVector256(b);
            c0 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a), b0, c0);
            c1 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 1), b0, c1);
            c2 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 2), b0, c2);
            c3 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 3), b0, c3);
            c4 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 4), b0, c4);
            c5 = Fma.MultiplyAdd(Avx.BroadcastScalarToVector256(a + 5), b0, c5);
            a += MR;
            b += NR;
        }
        float* tile = stackalloc float[MR * NR];
        c0.Store(tile); c1.Store(tile + 16); c2.Store(tile + 32); c3.Store(tile + 48); c4.Store(tile + 64); c5.Store(tile + 80);
        WriteTile(tile, c, ldc, mr, nr, add);
    }

    /// <summary>
    /// 6 x 16 Vector128 micro-kernel for CPUs without AVX2 (Arm64 AdvSimd, older x64): row r lives in
    /// four 4-lane accumulators (columns 0-3, 4-7, 8-11, 12-15), 24 in all, which Arm64's 32 vector
    /// registers hold. Edge handling is the same stack tile as the AVX2 kernel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void KernelVector128(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, bool add)
    {
        Vector128<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector128<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector128<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector128<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector128<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector128<float> c50 = default, c51 = default, c52 = default, c53 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector128<float> b0 = Vector128.Load(b), b1 = Vector128.Load(b + 4), b2 = Vector128.Load(b + 8), b3 = Vector128.Load(b + 12);
            Vector128<float> av = Vector128.Create(a[0]);
            c00 += av * b0; c01 += av * b1; c02 += av * b2; c03 += av * b3;
            av = Vector128.Create(a[1]);
            c10 += av * b0; c11 += av * b1; c12 += av * b2; c13 += av * b3;
            av = Vector128.Create(a[2]);
            c20 += av * b0; c21 += av * b1; c22 += av * b2; c23 += av * b3;
            av = Vector128.Create(a[3]);
            c30 += av * b0; c31 += av * b1; c32 += av * b2; c33 += av * b3;
            av = Vector128.Create(a[4]);
            c40 += av * b0; c41 += av * b1; c42 += av * b2; c43 += av * b3;
            av = Vector128.Create(a[5]);
            c50 += av * b0; c51 += av * b1; c52 += av * b2; c53 += av * b3;
            a += MR;
            b += NR;
        }
        float* tile = stackalloc float[MR * NR];
        c00.Store(tile); c01.Store(tile + 4); c02.Store(tile + 8); c03.Store(tile + 12);
        c10.Store(tile + 16); c11.Store(tile + 20); c12.Store(tile + 24); c13.Store(tile + 28);
        c20.Store(tile + 32); c21.Store(tile + 36); c22.Store(tile + 40); c23.Store(tile + 44);
        c30.Store(tile + 48); c31.Store(tile + 52); c32.Store(tile + 56); c33.Store(tile + 60);
        c40.Store(tile + 64); c41.Store(tile + 68); c42.Store(tile + 72); c43.Store(tile + 76);
        c50.Store(tile + 80); c51.Store(tile + 84); c52.Store(tile + 88); c53.Store(tile + 92);
        WriteTile(tile, c, ldc, mr, nr, add);
    }

    /// <summary>Plain scalar micro-kernel on the same packed panels: the path with hardware intrinsics off.</summary>
    [SkipLocalsInit]
    private static void KernelScalar(int kc, float* a, float* b, float* c, int ldc, int mr, int nr, bool add)
    {
        float* tile = stackalloc float[MR * NR];
        new Span<float>(tile, MR * NR).Clear();
        for (int p = 0; p < kc; p++)
        {
            for (int r = 0; r < MR; r++)
            {
                float av = a[r];
                float* row = tile + r * NR;
                for (int j = 0; j < NR; j++) row[j] += av * b[j];
            }
            a += MR;
            b += NR;
        }
        WriteTile(tile, c, ldc, mr, nr, add);
    }

    /// <summary>Copies (or adds) the valid mr x nr corner of a full MR x NR tile into C.</summary>
    private static void WriteTile(float* tile, float* c, int ldc, int mr, int nr, bool add)
    {
        for (int r = 0; r < mr; r++)
        {
            float* src = tile + r * NR;
            float* dst = c + (long)r * ldc;
            if (add)
            {
                for (int j = 0; j < nr; j++) dst[j] += src[j];
            }
            else
            {
                for (int j = 0; j < nr; j++) dst[j] = src[j];
            }
        }
    }

    /// <summary>The textbook triple loop: the oracle for tests and the definition of the math.</summary>
    public static void MultiplyNaive(
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c,
        int m, int n, int k,
        bool transposeA = false, bool transposeB = false, bool accumulate = false)
    {
        CheckLengths(a.Length, b.Length, c.Length, m, n, k);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float sum = 0f;
                for (int p = 0; p < k; p++)
                {
                    float av = transposeA ? a[p * m + i] : a[i * k + p];
                    float bv = transposeB ? b[j * k + p] : b[p * n + j];
                    sum += av * bv;
                }
                c[i * n + j] = accumulate ? c[i * n + j] + sum : sum;
            }
        }
    }

    internal static void CheckLengths(int aLength, int bLength, int cLength, int m, int n, int k)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), "GEMM dimensions must be non-negative.");
        if (aLength < (long)m * k) throw new ArgumentException($"A holds {aLength} values, GEMM needs {(long)m * k}.");
        if (bLength < (long)k * n) throw new ArgumentException($"B holds {bLength} values, GEMM needs {(long)k * n}.");
        if (cLength < (long)m * n) throw new ArgumentException($"C holds {cLength} values, GEMM needs {(long)m * n}.");
    }
}

/// <summary>Packs op(A) from a strided matrix: op(A)(i, p) = A[i * rowStride + p * depthStride].</summary>
internal readonly unsafe struct StridedPackA(float* a, int rowStride, int depthStride) : IPackA
{
    public float* Prepacked(int i0, int p0, int kc) => null;

    public void Pack(float* dst, int i0, int mc, int p0, int kc)
    {
        const int MR = Gemm.MR;
        for (int ip = 0; ip < mc; ip += MR)
        {
            int rows = Math.Min(MR, mc - ip);
            float* d = dst + (long)ip * kc;
            if (depthStride == 1)
            {
                // A not transposed: each row is contiguous along p; interleave the rows.
                int p = 0;
                if (Avx.IsSupported) p = Transpose.RowsToPanel(a + (long)(i0 + ip) * rowStride + p0, rowStride, rows, kc, d);
                for (int r = 0; r < rows; r++)
                {
                    float* src = a + (long)(i0 + ip + r) * rowStride + p0;
                    for (int q = p; q < kc; q++) d[q * MR + r] = src[q];
                }
                for (int r = rows; r < MR; r++)
                {
                    for (int q = p; q < kc; q++) d[q * MR + r] = 0f;
                }
            }
            else
            {
                // A transposed: the MR values of one p are neighbours in memory.
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (long)(p0 + p) * depthStride + (long)(i0 + ip) * rowStride;
                    float* dp = d + p * MR;
                    int r = 0;
                    for (; r < rows; r++) dp[r] = src[r * rowStride];
                    for (; r < MR; r++) dp[r] = 0f;
                }
            }
        }
    }
}

/// <summary>op(A) already packed by <see cref="Gemm.PackAll"/>: slice p0 starts at p0 * mPadded, row panel i0 at i0 * kc in it.</summary>
internal readonly unsafe struct PrepackedA(float* packed, int mPadded) : IPackA
{
    public float* Prepacked(int i0, int p0, int kc) => packed + (long)p0 * mPadded + (long)i0 * kc;

    public void Pack(float* dst, int i0, int mc, int p0, int kc) => throw new InvalidOperationException("A is prepacked.");
}

/// <summary>Packs op(B) from a strided matrix: op(B)(p, j) = B[p * depthStride + j * columnStride].</summary>
internal readonly unsafe struct StridedPackB(float* b, int depthStride, int columnStride) : IPackB
{
    public void Pack(float* dst, int p0, int kc, int j0, int nc)
    {
        const int NR = Gemm.NR;
        for (int jp = 0; jp < nc; jp += NR)
        {
            int cols = Math.Min(NR, nc - jp);
            float* d = dst + (long)jp * kc;
            if (columnStride == 1)
            {
                // B not transposed: NR neighbouring columns of one row p are one 64-byte copy.
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(p0 + p) * depthStride + j0 + jp;
                    float* dp = d + p * NR;
                    if (cols == NR)
                    {
                        Unsafe.CopyBlockUnaligned(dp, src, NR * sizeof(float));
                    }
                    else
                    {
                        int j = 0;
                        for (; j < cols; j++) dp[j] = src[j];
                        for (; j < NR; j++) dp[j] = 0f;
                    }
                }
            }
            else if (Avx.IsSupported && cols == NR && depthStride == 1)
            {
                // B transposed, a full panel: two 8x8 transposes per 8 steps of p.
                float* src = b + (long)(j0 + jp) * columnStride + p0;
                int p = Transpose.ColumnsToPanel(src, columnStride, kc, d);
                for (int j = 0; j < NR; j++)
                {
                    for (int q = p; q < kc; q++) d[q * NR + j] = src[(long)j * columnStride + q];
                }
            }
            else
            {
                // B transposed: each column j is contiguous along p; interleave the columns.
                for (int j = 0; j < cols; j++)
                {
                    float* src = b + (long)(j0 + jp + j) * columnStride + (long)p0 * depthStride;
                    for (int p = 0; p < kc; p++) d[p * NR + j] = src[p * depthStride];
                }
                for (int j = cols; j < NR; j++)
                {
                    for (int p = 0; p < kc; p++) d[p * NR + j] = 0f;
                }
            }
        }
    }
}

/// <summary>
/// AVX 8x8 transposes for the packers: the rows of a row-major block become the p-major panels the
/// micro-kernel reads, 8 values of p at a time. Each returns how many p it handled (a multiple of
/// 8); the caller finishes the rest with scalar loops.
/// </summary>
internal static unsafe class Transpose
{
    /// <summary>
    /// rows (at most MR = 6) rows of length kc, row r at src + r * stride, into a panel d[p * 6 + r],
    /// missing rows as zeros. Each 8-lane column is stored whole at d + p * 6: its two spare lanes
    /// land on the next step's slots and are overwritten by it, so the last store of a panel spills
    /// 2 floats past it (into the next panel, written later, or the 16-float slack Scratch keeps).
    /// </summary>
    public static int RowsToPanel(float* src, int stride, int rows, int kc, float* d)
    {
        const int MR = Gemm.MR;
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            Vector256<float> v0 = Avx.LoadVector256(src + p);
            Vector256<float> v1 = rows > 1 ? Avx.LoadVector256(src + stride + p) : default;
            Vector256<float> v2 = rows > 2 ? Avx.LoadVector256(src + 2L * stride + p) : default;
            Vector256<float> v3 = rows > 3 ? Avx.LoadVector256(src + 3L * stride + p) : default;
            Vector256<float> v4 = rows > 4 ? Avx.LoadVector256(src + 4L * stride + p) : default;
            Vector256<float> v5 = rows > 5 ? Avx.LoadVector256(src + 5L * stride + p) : default;
            Transpose8x8(v0, v1, v2, v3, v4, v5, default, default,
                out var r0, out var r1, out var r2, out var r3, out var r4, out var r5, out var r6, out var r7);
            float* o = d + p * MR;
            Avx.Store(o, r0); Avx.Store(o + 6, r1); Avx.Store(o + 12, r2); Avx.Store(o + 18, r3);
            Avx.Store(o + 24, r4); Avx.Store(o + 30, r5); Avx.Store(o + 36, r6); Avx.Store(o + 42, r7);
        }
        return p;
    }

    /// <summary>16 columns of length kc, column j at src + j * stride, into a panel d[p * 16 + j].</summary>
    public static int ColumnsToPanel(float* src, int stride, int kc, float* d)
    {
        const int NR = Gemm.NR;
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            for (int half = 0; half < 2; half++)
            {
                float* s = src + (long)half * 8 * stride + p;
                Transpose8x8(
                    Avx.LoadVector256(s), Avx.LoadVector256(s + stride), Avx.LoadVector256(s + 2L * stride), Avx.LoadVector256(s + 3L * stride),
                    Avx.LoadVector256(s + 4L * stride), Avx.LoadVector256(s + 5L * stride), Avx.LoadVector256(s + 6L * stride), Avx.LoadVector256(s + 7L * stride),
                    out var r0, out var r1, out var r2, out var r3, out var r4, out var r5, out var r6, out var r7);
                float* o = d + p * NR + half * 8;
                Avx.Store(o, r0); Avx.Store(o + NR, r1); Avx.Store(o + 2 * NR, r2); Avx.Store(o + 3 * NR, r3);
                Avx.Store(o + 4 * NR, r4); Avx.Store(o + 5 * NR, r5); Avx.Store(o + 6 * NR, r6); Avx.Store(o + 7 * NR, r7);
            }
        }
        return p;
    }

    /// <summary>Rows v0..v7 in, columns r0..r7 out (r_p[i] = v_i[p]): unpack pairs, shuffle quads, swap 128-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(
        Vector256<float> v0, Vector256<float> v1, Vector256<float> v2, Vector256<float> v3,
        Vector256<float> v4, Vector256<float> v5, Vector256<float> v6, Vector256<float> v7,
        out Vector256<float> r0, out Vector256<float> r1, out Vector256<float> r2, out Vector256<float> r3,
        out Vector256<float> r4, out Vector256<float> r5, out Vector256<float> r6, out Vector256<float> r7)
    {
        Vector256<float> t0 = Avx.UnpackLow(v0, v1), t1 = Avx.UnpackHigh(v0, v1);
        Vector256<float> t2 = Avx.UnpackLow(v2, v3), t3 = Avx.UnpackHigh(v2, v3);
        Vector256<float> t4 = Avx.UnpackLow(v4, v5), t5 = Avx.UnpackHigh(v4, v5);
        Vector256<float> t6 = Avx.UnpackLow(v6, v7), t7 = Avx.UnpackHigh(v6, v7);
        Vector256<float> s0 = Avx.Shuffle(t0, t2, 0x44), s1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> s2 = Avx.Shuffle(t1, t3, 0x44), s3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> s4 = Avx.Shuffle(t4, t6, 0x44), s5 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> s6 = Avx.Shuffle(t5, t7, 0x44), s7 = Avx.Shuffle(t5, t7, 0xEE);
        r0 = Avx.Permute2x128(s0, s4, 0x20); r1 = Avx.Permute2x128(s1, s5, 0x20);
        r2 = Avx.Permute2x128(s2, s6, 0x20); r3 = Avx.Permute2x128(s3, s7, 0x20);
        r4 = Avx.Permute2x128(s0, s4, 0x31); r5 = Avx.Permute2x128(s1, s5, 0x31);
        r6 = Avx.Permute2x128(s2, s6, 0x31); r7 = Avx.Permute2x128(s3, s7, 0x31);
    }
}

// General matrix multiply on row-major float spans: the one hot loop under Linear, Gemm/MatMul and
// im2col convolution, shared by the trainer and the ONNX executor.
//
// Shapes: M rows of the result, N columns, K the shared dimension.
//   op(A) (M, K): A is stored (M, K), or (K, M) when transposeA.
//   op(B) (K, N): B is stored (K, N), or (N, K) when transposeB.
//   C (M, N) = op(A) * op(B), or C += op(A) * op(B) when accumulate.
namespace Mnist.ML.Kernels;

internal static class Gemm
{
    /// <summary>C (M, N) = op(A) (M, K) * op(B) (K, N), or += when <paramref name="accumulate"/>.</summary>
    public static void Multiply(
        ReadOnlySpan<float> a, // (M, K) or (K, M) when transposeA
        ReadOnlySpan<float> b, // (K, N) or (N, K) when transposeB
        Span<float> c,         // (M, N)
        int m, int n, int k,
        bool transposeA = false, bool transposeB = false, bool accumulate = false)
    {
        MultiplyNaive(a, b, c, m, n, k, transposeA, transposeB, accumulate);
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

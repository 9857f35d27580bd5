// Shape arithmetic shared by operators: numpy broadcasting, strides, and generic data movement
// (transpose, gather, concat) used both at run time on floats and at load on int64 shape tensors.
namespace Mnist.ML.Onnx.Executor.Operators;

internal static class Shapes
{
    public static int Size(ReadOnlySpan<int> shape, int from = 0, int to = -1)
    {
        if (to < 0) to = shape.Length;
        int size = 1;
        for (int i = from; i < to; i++) size *= shape[i];
        return size;
    }

    public static int[] Strides(int[] shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    /// <summary>numpy broadcasting of two shapes; throws when a pair of dims is neither equal nor 1.</summary>
    public static int[] Broadcast(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"shapes [{string.Join(",", a)}] and [{string.Join(",", b)}] cannot be broadcast together.");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Strides of <paramref name="shape"/> read as <paramref name="target"/> (0 on broadcast dims).</summary>
    public static int[] BroadcastStrides(int[] shape, int[] target)
    {
        var own = Strides(shape);
        var result = new int[target.Length];
        int offset = target.Length - shape.Length;
        for (int i = 0; i < target.Length; i++)
        {
            int j = i - offset;
            result[i] = j < 0 || shape[j] == 1 ? 0 : own[j];
        }
        return result;
    }

    /// <summary>For a transpose: the output shape and, per output dim, the input stride it walks (computed once per plan).</summary>
    public static (int[] OutShape, int[] InStride) TransposeLayout(int[] inShape, int[] perm)
    {
        var inStrides = Strides(inShape);
        var outShape = new int[perm.Length];
        var stride = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++)
        {
            outShape[i] = inShape[perm[i]];
            stride[i] = inStrides[perm[i]];
        }
        return (outShape, stride);
    }

    /// <summary>Copies <paramref name="input"/> into <paramref name="output"/> in output order (odometer over the output index).</summary>
    public static void Transpose<T>(ReadOnlySpan<T> input, Span<T> output, int[] outShape, int[] stride)
    {
        int rank = outShape.Length;
        if (output.Length == 0) return;
        if (rank == 0)
        {
            output[0] = input[0];
            return;
        }
        Span<int> index = stackalloc int[rank];
        index.Clear();
        int src = 0;
        int inner = outShape[rank - 1], innerStride = stride[rank - 1];
        for (int o = 0; o < output.Length; o += inner)
        {
            for (int j = 0; j < inner; j++) output[o + j] = input[src + j * innerStride];
            for (int d = rank - 2; d >= 0; d--)
            {
                src += stride[d];
                if (++index[d] < outShape[d]) break;
                src -= stride[d] * outShape[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>Gather along one axis of length <paramref name="axisLength"/>: outer blocks x indices x inner blocks.</summary>
    public static void Gather<T>(ReadOnlySpan<T> data, Span<T> output, int outer, int axisLength, int inner, ReadOnlySpan<int> indices)
    {
        int o = 0;
        for (int i = 0; i < outer; i++)
        {
            foreach (int index in indices)
            {
                data.Slice((i * axisLength + index) * inner, inner).CopyTo(output.Slice(o, inner));
                o += inner;
            }
        }
    }

    /// <summary>Copies one Concat input into its place: outer blocks of <paramref name="block"/> values.</summary>
    public static void ConcatPart<T>(ReadOnlySpan<T> part, Span<T> output, int outer, int block, int outBlock, int offset)
    {
        for (int i = 0; i < outer; i++) part.Slice(i * block, block).CopyTo(output.Slice(i * outBlock + offset, block));
    }
}

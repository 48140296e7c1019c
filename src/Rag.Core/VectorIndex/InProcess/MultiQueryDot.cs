using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// Dot products of one stored vector with four queries at once: each SIMD load of the stored vector feeds four
/// fused multiply-adds, which roughly triples scan throughput over four separate dot products.
/// </summary>
internal static class MultiQueryDot
{
    public const int Width = 4;

    public static void Compute(ReadOnlySpan<float> vector, float[] q0, float[] q1, float[] q2, float[] q3, Span<float> scores)
    {
        if (q0.Length != vector.Length || q1.Length != vector.Length || q2.Length != vector.Length || q3.Length != vector.Length || scores.Length < Width)
        {
            throw new ArgumentException("Queries and vector must have the same dimension.");
        }

        ref var v = ref MemoryMarshal.GetReference(vector);
        ref var a = ref MemoryMarshal.GetArrayDataReference(q0);
        ref var b = ref MemoryMarshal.GetArrayDataReference(q1);
        ref var c = ref MemoryMarshal.GetArrayDataReference(q2);
        ref var d = ref MemoryMarshal.GetArrayDataReference(q3);

        var sum0 = Vector<float>.Zero;
        var sum1 = Vector<float>.Zero;
        var sum2 = Vector<float>.Zero;
        var sum3 = Vector<float>.Zero;
        var length = (nuint)vector.Length;
        var i = (nuint)0;
        for (; i + (nuint)Vector<float>.Count <= length; i += (nuint)Vector<float>.Count)
        {
            var x = Vector.LoadUnsafe(ref v, i);
            sum0 = Vector.FusedMultiplyAdd(x, Vector.LoadUnsafe(ref a, i), sum0);
            sum1 = Vector.FusedMultiplyAdd(x, Vector.LoadUnsafe(ref b, i), sum1);
            sum2 = Vector.FusedMultiplyAdd(x, Vector.LoadUnsafe(ref c, i), sum2);
            sum3 = Vector.FusedMultiplyAdd(x, Vector.LoadUnsafe(ref d, i), sum3);
        }

        var s0 = Vector.Sum(sum0);
        var s1 = Vector.Sum(sum1);
        var s2 = Vector.Sum(sum2);
        var s3 = Vector.Sum(sum3);
        for (; i < length; i++)
        {
            var x = Unsafe.Add(ref v, i);
            s0 += x * Unsafe.Add(ref a, i);
            s1 += x * Unsafe.Add(ref b, i);
            s2 += x * Unsafe.Add(ref c, i);
            s3 += x * Unsafe.Add(ref d, i);
        }

        scores[0] = s0;
        scores[1] = s1;
        scores[2] = s2;
        scores[3] = s3;
    }
}

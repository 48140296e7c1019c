using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// Integer dot products of one quantized stored row with four quantized queries at once: each row is read from
/// memory and widened to 16 bits once, then multiplied with all four queries while it is in registers.
/// </summary>
/// <remarks>
/// Rows and queries are <see cref="Int8Quantization.RowLength"/> long (zero-padded), so there is no remainder.
/// Products fit in 16 bits (|127 × 127| &lt; 2^15) and sums in 32 bits for any realistic dimension.
/// </remarks>
internal static class Int8MultiQueryDot
{
    public const int Width = 4;

    public static void Compute(ReadOnlySpan<sbyte> row, short[] q0, short[] q1, short[] q2, short[] q3, Span<int> dots)
    {
        Validate(row, q0, q1, q2, q3, dots);
        if (Avx2.IsSupported)
        {
            ComputeAvx2(row, q0, q1, q2, q3, dots);
        }
        else
        {
            ComputePortable(row, q0, q1, q2, q3, dots);
        }
    }

    /// <summary>The path for machines without AVX2 (Arm, for one); public so tests cover it on any machine.</summary>
    public static void ComputePortable(ReadOnlySpan<sbyte> row, short[] q0, short[] q1, short[] q2, short[] q3, Span<int> dots)
    {
        Validate(row, q0, q1, q2, q3, dots);
        ref var x = ref MemoryMarshal.GetReference(row);
        ref var a = ref MemoryMarshal.GetArrayDataReference(q0);
        ref var b = ref MemoryMarshal.GetArrayDataReference(q1);
        ref var c = ref MemoryMarshal.GetArrayDataReference(q2);
        ref var d = ref MemoryMarshal.GetArrayDataReference(q3);
        var sum0 = Vector128<int>.Zero;
        var sum1 = Vector128<int>.Zero;
        var sum2 = Vector128<int>.Zero;
        var sum3 = Vector128<int>.Zero;
        for (nuint i = 0; i < (nuint)row.Length; i += (nuint)Vector128<sbyte>.Count)
        {
            var bytes = Vector128.LoadUnsafe(ref x, i);
            var low = Vector128.WidenLower(bytes);
            var high = Vector128.WidenUpper(bytes);
            var next = i + (nuint)Vector128<short>.Count;
            sum0 += SumOfProducts(low, Vector128.LoadUnsafe(ref a, i)) + SumOfProducts(high, Vector128.LoadUnsafe(ref a, next));
            sum1 += SumOfProducts(low, Vector128.LoadUnsafe(ref b, i)) + SumOfProducts(high, Vector128.LoadUnsafe(ref b, next));
            sum2 += SumOfProducts(low, Vector128.LoadUnsafe(ref c, i)) + SumOfProducts(high, Vector128.LoadUnsafe(ref c, next));
            sum3 += SumOfProducts(low, Vector128.LoadUnsafe(ref d, i)) + SumOfProducts(high, Vector128.LoadUnsafe(ref d, next));
        }

        dots[0] = Vector128.Sum(sum0);
        dots[1] = Vector128.Sum(sum1);
        dots[2] = Vector128.Sum(sum2);
        dots[3] = Vector128.Sum(sum3);
    }

    // vpmaddwd multiplies 16-bit lanes and adds neighbouring products into 32 bits in one instruction.
    private static void ComputeAvx2(ReadOnlySpan<sbyte> row, short[] q0, short[] q1, short[] q2, short[] q3, Span<int> dots)
    {
        ref var x = ref MemoryMarshal.GetReference(row);
        ref var a = ref MemoryMarshal.GetArrayDataReference(q0);
        ref var b = ref MemoryMarshal.GetArrayDataReference(q1);
        ref var c = ref MemoryMarshal.GetArrayDataReference(q2);
        ref var d = ref MemoryMarshal.GetArrayDataReference(q3);
        var sum0 = Vector256<int>.Zero;
        var sum1 = Vector256<int>.Zero;
        var sum2 = Vector256<int>.Zero;
        var sum3 = Vector256<int>.Zero;
        for (nuint i = 0; i < (nuint)row.Length; i += (nuint)Vector256<sbyte>.Count)
        {
            var bytes = Vector256.LoadUnsafe(ref x, i);
            var low = Avx2.ConvertToVector256Int16(bytes.GetLower());
            var high = Avx2.ConvertToVector256Int16(bytes.GetUpper());
            var next = i + (nuint)Vector256<short>.Count;
            sum0 += Avx2.MultiplyAddAdjacent(low, Vector256.LoadUnsafe(ref a, i)) + Avx2.MultiplyAddAdjacent(high, Vector256.LoadUnsafe(ref a, next));
            sum1 += Avx2.MultiplyAddAdjacent(low, Vector256.LoadUnsafe(ref b, i)) + Avx2.MultiplyAddAdjacent(high, Vector256.LoadUnsafe(ref b, next));
            sum2 += Avx2.MultiplyAddAdjacent(low, Vector256.LoadUnsafe(ref c, i)) + Avx2.MultiplyAddAdjacent(high, Vector256.LoadUnsafe(ref c, next));
            sum3 += Avx2.MultiplyAddAdjacent(low, Vector256.LoadUnsafe(ref d, i)) + Avx2.MultiplyAddAdjacent(high, Vector256.LoadUnsafe(ref d, next));
        }

        dots[0] = Vector256.Sum(sum0);
        dots[1] = Vector256.Sum(sum1);
        dots[2] = Vector256.Sum(sum2);
        dots[3] = Vector256.Sum(sum3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> SumOfProducts(Vector128<short> left, Vector128<short> right)
    {
        var products = left * right;
        return Vector128.WidenLower(products) + Vector128.WidenUpper(products);
    }

    private static void Validate(ReadOnlySpan<sbyte> row, short[] q0, short[] q1, short[] q2, short[] q3, Span<int> dots)
    {
        if (row.Length % Int8Quantization.RowAlignment != 0)
        {
            throw new ArgumentException($"Rows must be padded to a multiple of {Int8Quantization.RowAlignment}.", nameof(row));
        }

        if (q0.Length != row.Length || q1.Length != row.Length || q2.Length != row.Length || q3.Length != row.Length || dots.Length < Width)
        {
            throw new ArgumentException("Queries and row must have the same padded length.");
        }
    }
}

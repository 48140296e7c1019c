using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// Dot products of one stored row of unsigned bytes with four queries of signed bytes at once: the row is read
/// from memory once and multiplied with all four queries while it is in registers.
/// </summary>
/// <remarks>
/// Rows and queries are <see cref="Int8Quantization.RowLength"/> long, so there is no remainder. On x86 each
/// 32 components take a vpmaddubsw per query (byte products, neighbours added in 16 bits); four of those are
/// added in 16 bits (the quantization ranges keep eight products inside a short) before one vpmaddwd by ones
/// widens them to 32 bits: nine instructions, five of them multiplications, per 128 components and query,
/// against 32 for a float dot product. That holds for stored bytes up to 63, as <see cref="Int8Quantization"/>
/// makes them; larger ones could saturate the 16-bit sums. (Measured on an AMD EPYC with AVX-512, the 512-bit
/// form was slower than AVX2: its horizontal sums cost more than the loop saves at 384 dimensions.)
/// </remarks>
internal static class Int8MultiQueryDot
{
    public const int Width = 4;

    /// <returns>The four dot products, in query order.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Compute(ReadOnlySpan<byte> row, sbyte[] q0, sbyte[] q1, sbyte[] q2, sbyte[] q3)
    {
        Validate(row, q0, q1, q2, q3);
        return Avx2.IsSupported ? ComputeAvx2(row, q0, q1, q2, q3) : ComputePortable(row, q0, q1, q2, q3);
    }

    // Inlined into the scan's loop over rows, so that the queries' addresses and the constant stay in registers.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> ComputeAvx2(ReadOnlySpan<byte> row, sbyte[] q0, sbyte[] q1, sbyte[] q2, sbyte[] q3)
    {
        ref var x = ref MemoryMarshal.GetReference(row);
        ref var a = ref MemoryMarshal.GetArrayDataReference(q0);
        ref var b = ref MemoryMarshal.GetArrayDataReference(q1);
        ref var c = ref MemoryMarshal.GetArrayDataReference(q2);
        ref var d = ref MemoryMarshal.GetArrayDataReference(q3);
        var ones = Vector256.Create((short)1);
        var sum0 = Vector256<int>.Zero;
        var sum1 = Vector256<int>.Zero;
        var sum2 = Vector256<int>.Zero;
        var sum3 = Vector256<int>.Zero;
        var step = (nuint)Vector256<byte>.Count;
        for (nuint i = 0; i < (nuint)row.Length; i += 4 * step)
        {
            var r0 = Vector256.LoadUnsafe(ref x, i);
            var r1 = Vector256.LoadUnsafe(ref x, i + step);
            var r2 = Vector256.LoadUnsafe(ref x, i + (2 * step));
            var r3 = Vector256.LoadUnsafe(ref x, i + (3 * step));
            sum0 += Avx2.MultiplyAddAdjacent(ShortSums(r0, r1, r2, r3, ref a, i, step), ones);
            sum1 += Avx2.MultiplyAddAdjacent(ShortSums(r0, r1, r2, r3, ref b, i, step), ones);
            sum2 += Avx2.MultiplyAddAdjacent(ShortSums(r0, r1, r2, r3, ref c, i, step), ones);
            sum3 += Avx2.MultiplyAddAdjacent(ShortSums(r0, r1, r2, r3, ref d, i, step), ones);
        }

        // Three horizontal adds leave each query's sum split across the two 128-bit halves, in query order.
        var sums = Avx2.HorizontalAdd(Avx2.HorizontalAdd(sum0, sum1), Avx2.HorizontalAdd(sum2, sum3));
        return sums.GetLower() + sums.GetUpper();
    }

    // Four vpmaddubsw of 32 components each, added in 16 bits: at most 4 × 2 × 63 × 63 = 31,752, inside a short.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> ShortSums(Vector256<byte> r0, Vector256<byte> r1, Vector256<byte> r2, Vector256<byte> r3, ref sbyte query, nuint i, nuint step) =>
        Avx2.MultiplyAddAdjacent(r0, Vector256.LoadUnsafe(ref query, i))
        + Avx2.MultiplyAddAdjacent(r1, Vector256.LoadUnsafe(ref query, i + step))
        + Avx2.MultiplyAddAdjacent(r2, Vector256.LoadUnsafe(ref query, i + (2 * step)))
        + Avx2.MultiplyAddAdjacent(r3, Vector256.LoadUnsafe(ref query, i + (3 * step)));

    /// <summary>
    /// The dot products of the row with one query (lane 0) or two (lanes 0 and 1), the other lanes zero: a scan with
    /// fewer than four searches would otherwise pay for four, since the arithmetic, not the memory, bounds it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> ComputeFew(ReadOnlySpan<byte> row, sbyte[] q0, sbyte[]? q1)
    {
        if (!Avx2.IsSupported)
        {
            var dots = ComputePortable(row, q0, q1 ?? q0, q0, q0);
            return q1 is null ? Vector128.CreateScalar(dots[0]) : Vector128.Create(dots[0], dots[1], 0, 0);
        }

        return q1 is null ? Vector128.CreateScalar(ComputeOneAvx2(row, q0)) : ComputeTwoAvx2(row, q0, q1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ComputeOneAvx2(ReadOnlySpan<byte> row, sbyte[] q0)
    {
        Validate(row, q0, q0, q0, q0);
        ref var x = ref MemoryMarshal.GetReference(row);
        ref var a = ref MemoryMarshal.GetArrayDataReference(q0);
        var ones = Vector256.Create((short)1);
        var sum = Vector256<int>.Zero;
        var step = (nuint)Vector256<byte>.Count;
        for (nuint i = 0; i < (nuint)row.Length; i += 4 * step)
        {
            sum += Avx2.MultiplyAddAdjacent(
                ShortSums(Vector256.LoadUnsafe(ref x, i), Vector256.LoadUnsafe(ref x, i + step), Vector256.LoadUnsafe(ref x, i + (2 * step)), Vector256.LoadUnsafe(ref x, i + (3 * step)), ref a, i, step),
                ones);
        }

        return Vector256.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> ComputeTwoAvx2(ReadOnlySpan<byte> row, sbyte[] q0, sbyte[] q1)
    {
        Validate(row, q0, q1, q0, q1);
        ref var x = ref MemoryMarshal.GetReference(row);
        ref var a = ref MemoryMarshal.GetArrayDataReference(q0);
        ref var b = ref MemoryMarshal.GetArrayDataReference(q1);
        var ones = Vector256.Create((short)1);
        var sum0 = Vector256<int>.Zero;
        var sum1 = Vector256<int>.Zero;
        var step = (nuint)Vector256<byte>.Count;
        for (nuint i = 0; i < (nuint)row.Length; i += 4 * step)
        {
            var r0 = Vector256.LoadUnsafe(ref x, i);
            var r1 = Vector256.LoadUnsafe(ref x, i + step);
            var r2 = Vector256.LoadUnsafe(ref x, i + (2 * step));
            var r3 = Vector256.LoadUnsafe(ref x, i + (3 * step));
            sum0 += Avx2.MultiplyAddAdjacent(ShortSums(r0, r1, r2, r3, ref a, i, step), ones);
            sum1 += Avx2.MultiplyAddAdjacent(ShortSums(r0, r1, r2, r3, ref b, i, step), ones);
        }

        // Two horizontal adds leave lanes 0 and 1 of each half holding a part of the two sums.
        var sums = Avx2.HorizontalAdd(Avx2.HorizontalAdd(sum0, sum1), Vector256<int>.Zero);
        return (sums.GetLower() + sums.GetUpper()) & Vector128.Create(-1, -1, 0, 0);
    }

    /// <summary>The path for machines without AVX2 (Arm, for one); callable so that tests cover it on any machine.</summary>
    public static Vector128<int> ComputePortable(ReadOnlySpan<byte> row, sbyte[] q0, sbyte[] q1, sbyte[] q2, sbyte[] q3)
    {
        Validate(row, q0, q1, q2, q3);
        ref var x = ref MemoryMarshal.GetReference(row);
        ref var a = ref MemoryMarshal.GetArrayDataReference(q0);
        ref var b = ref MemoryMarshal.GetArrayDataReference(q1);
        ref var c = ref MemoryMarshal.GetArrayDataReference(q2);
        ref var d = ref MemoryMarshal.GetArrayDataReference(q3);
        var sum0 = Vector128<int>.Zero;
        var sum1 = Vector128<int>.Zero;
        var sum2 = Vector128<int>.Zero;
        var sum3 = Vector128<int>.Zero;
        for (nuint i = 0; i < (nuint)row.Length; i += (nuint)Vector128<byte>.Count)
        {
            var bytes = Vector128.LoadUnsafe(ref x, i);
            var low = Vector128.WidenLower(bytes).AsInt16();
            var high = Vector128.WidenUpper(bytes).AsInt16();
            sum0 += SumOfProducts(low, high, Vector128.LoadUnsafe(ref a, i));
            sum1 += SumOfProducts(low, high, Vector128.LoadUnsafe(ref b, i));
            sum2 += SumOfProducts(low, high, Vector128.LoadUnsafe(ref c, i));
            sum3 += SumOfProducts(low, high, Vector128.LoadUnsafe(ref d, i));
        }

        return Vector128.Create(Vector128.Sum(sum0), Vector128.Sum(sum1), Vector128.Sum(sum2), Vector128.Sum(sum3));
    }

    // Products of a byte (≤ 255) and a query component (|q| ≤ 63) fit in 16 bits; their sums are taken in 32.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> SumOfProducts(Vector128<short> low, Vector128<short> high, Vector128<sbyte> query)
    {
        var lowProducts = low * Vector128.WidenLower(query);
        var highProducts = high * Vector128.WidenUpper(query);
        return Vector128.WidenLower(lowProducts) + Vector128.WidenUpper(lowProducts) + Vector128.WidenLower(highProducts) + Vector128.WidenUpper(highProducts);
    }

    // Inlined, with the throwing kept out of line, so that the scan pays a few comparisons per row and no call.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Validate(ReadOnlySpan<byte> row, sbyte[] q0, sbyte[] q1, sbyte[] q2, sbyte[] q3)
    {
        if (row.Length % Int8Quantization.RowAlignment != 0
            || q0.Length != row.Length || q1.Length != row.Length || q2.Length != row.Length || q3.Length != row.Length)
        {
            ThrowInvalidLengths(row.Length);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInvalidLengths(int rowLength) =>
        throw new ArgumentException(rowLength % Int8Quantization.RowAlignment != 0
            ? $"Rows must be padded to a multiple of {Int8Quantization.RowAlignment}."
            : "Queries and row must have the same padded length.");
}

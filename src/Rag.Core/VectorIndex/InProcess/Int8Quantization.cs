namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// Scalar quantization of L2-normalised vectors to bytes, for the first, approximate pass of a scan. Each vector
/// is scaled by its own largest magnitude so that it spans the whole range, which keeps more precision than one
/// scale for all (the components of a 384-dimensional unit vector are mostly near ±0.05).
/// </summary>
/// <remarks>
/// The kernel (<see cref="Int8MultiQueryDot"/>) multiplies unsigned bytes by signed bytes, adding neighbouring
/// products in 16 bits, and adds four such sums in 16 bits before widening, so: a stored component is quantized
/// to [-31, 31] and kept offset by +32 as a byte (at most 63); a query component is quantized to [-63, 63]; eight
/// products then add up to at most 8 × 63 × 63 = 31,752, inside a short. (Six bits stored rather than eight: the
/// error stays well below the gaps that exact rescoring of the candidates leaves room for, as the recall tests
/// measure, and the kernel needs one widening multiplication in four.) The offset adds 32 × (sum of the query's
/// components) to every dot product, which the query carries as <see cref="QuantizedQuery.Offset"/>.
/// (quantized dot − offset) × stored scale orders candidates as their cosines would, up to quantization error;
/// the query's own scale is the same for every point and is dropped.
/// </remarks>
internal static class Int8Quantization
{
    /// <summary>Rows are padded to a multiple of this, so the kernel never handles a remainder.</summary>
    public const int RowAlignment = 128;

    private const int StoredRange = 31;
    private const int QueryRange = 63;
    private const int StoredOffset = 32;

    public static int RowLength(int dimension) => checked((dimension + RowAlignment - 1) / RowAlignment * RowAlignment);

    /// <param name="destination">At least <paramref name="vector"/>'s length.</param>
    /// <returns>The scale: a component is about (its byte − 32) times the scale.</returns>
    public static float QuantizeStored(ReadOnlySpan<float> vector, Span<byte> destination)
    {
        var toQuantized = ToQuantized(vector, StoredRange);
        for (var i = 0; i < vector.Length; i++)
        {
            destination[i] = (byte)(StoredOffset + (int)MathF.Round(vector[i] * toQuantized));
        }

        return toQuantized == 0 ? 0 : 1 / toQuantized;
    }

    public static QuantizedQuery QuantizeQuery(ReadOnlySpan<float> query)
    {
        var toQuantized = ToQuantized(query, QueryRange);
        var values = new sbyte[RowLength(query.Length)];
        var sum = 0;
        for (var i = 0; i < query.Length; i++)
        {
            values[i] = (sbyte)MathF.Round(query[i] * toQuantized);
            sum += values[i];
        }

        return new QuantizedQuery(values, StoredOffset * sum);
    }

    // Zero for a zero vector (and one with a NaN or infinity), which then quantizes to all zeros.
    private static float ToQuantized(ReadOnlySpan<float> vector, int range)
    {
        var largest = 0f;
        foreach (var value in vector)
        {
            largest = MathF.Max(largest, MathF.Abs(value));
        }

        return largest == 0 || !float.IsFinite(largest) ? 0 : range / largest;
    }
}

/// <param name="Values">Padded with zeros to <see cref="Int8Quantization.RowLength"/>.</param>
/// <param name="Offset">What the stored rows' +32 adds to every dot product with this query.</param>
internal sealed record QuantizedQuery(sbyte[] Values, int Offset);

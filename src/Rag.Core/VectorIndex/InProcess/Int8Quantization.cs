namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// Scalar quantization of an L2-normalised vector to signed bytes, for the first, approximate pass of a scan:
/// each vector is scaled by its own largest magnitude so that it spans the whole range [-127, 127], which keeps
/// more precision than one scale for all (the components of a 384-dimensional unit vector are mostly near ±0.05).
/// The dot product of two quantized vectors times both scales approximates their cosine.
/// </summary>
internal static class Int8Quantization
{
    /// <summary>Rows are padded with zeros to a multiple of this, so the kernel never handles a remainder.</summary>
    public const int RowAlignment = 32;

    public static int RowLength(int dimension) => checked((dimension + RowAlignment - 1) / RowAlignment * RowAlignment);

    /// <param name="destination">At least <paramref name="vector"/>'s length; the rest is left alone (zero padding).</param>
    /// <returns>The scale: a component is about its quantized value times the scale.</returns>
    public static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> destination)
    {
        var largest = 0f;
        foreach (var value in vector)
        {
            largest = MathF.Max(largest, MathF.Abs(value));
        }

        if (largest == 0 || !float.IsFinite(largest))
        {
            destination[..vector.Length].Clear();
            return 0;
        }

        var toQuantized = 127 / largest;
        for (var i = 0; i < vector.Length; i++)
        {
            destination[i] = (sbyte)MathF.Round(vector[i] * toQuantized);
        }

        return largest / 127;
    }

    /// <summary>
    /// A query as the kernel wants it: quantized, then widened to 16 bits once here rather than once per point,
    /// and padded to the row length. Its scale is dropped: it is the same for every point, so it cannot change
    /// the order of candidates.
    /// </summary>
    public static short[] QuantizeQuery(ReadOnlySpan<float> query)
    {
        var quantized = new sbyte[query.Length];
        Quantize(query, quantized);
        var widened = new short[RowLength(query.Length)];
        for (var i = 0; i < quantized.Length; i++)
        {
            widened[i] = quantized[i];
        }

        return widened;
    }
}

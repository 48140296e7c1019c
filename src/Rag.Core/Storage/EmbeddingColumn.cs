using System.Buffers;
using System.Buffers.Binary;
using Npgsql;

namespace Rag.Core.Storage;

/// <summary>
/// Reads an embedding (a <c>real[]</c> column) selected as <c>array_send(column)</c>: PostgreSQL's binary array format
/// as <c>bytea</c>, decoded here in about a microsecond. Npgsql's array reader takes a nested read per element, about
/// 25 µs for 384 floats, which made it the largest cost of loading a search's passages and of loading an index.
/// </summary>
public static class EmbeddingColumn
{
    // pg_type.oid of float4, the element type array_send reports for real[].
    private const int Float4TypeId = 700;

    /// <summary>The embedding at <paramref name="ordinal"/>, or null when the column is NULL.</summary>
    public static float[]? Read(NpgsqlDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        var length = checked((int)reader.GetBytes(ordinal, 0, null, 0, 0));
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            reader.GetBytes(ordinal, 0, buffer, 0, length);
            return Decode(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Decodes a one-dimensional float4 array without NULL elements: dimension count, NULL flag, element type, then
    /// per dimension its length and lower bound, then per element its byte length and big-endian value.
    /// </summary>
    /// <exception cref="FormatException">Anything else.</exception>
    internal static float[] Decode(ReadOnlySpan<byte> wire)
    {
        if (wire.Length < 12)
        {
            throw new FormatException($"An array of {wire.Length} bytes is too short for PostgreSQL's binary array format.");
        }

        var dimensions = BinaryPrimitives.ReadInt32BigEndian(wire);
        var elementType = BinaryPrimitives.ReadInt32BigEndian(wire[8..]);
        if (elementType != Float4TypeId)
        {
            throw new FormatException($"Expected an array of float4 (type {Float4TypeId}), not of type {elementType}.");
        }

        if (dimensions == 0)
        {
            return [];
        }

        if (dimensions != 1 || wire.Length < 20)
        {
            throw new FormatException($"Expected a one-dimensional array, not one of {dimensions} dimensions.");
        }

        var count = BinaryPrimitives.ReadInt32BigEndian(wire[12..]);
        if (count < 0 || wire.Length != 20 + (8L * count))
        {
            throw new FormatException($"An array of {count} float4 elements cannot take {wire.Length} bytes: it holds NULL elements or is damaged.");
        }

        var values = new float[count];
        var elements = wire[20..];
        for (var i = 0; i < values.Length; i++)
        {
            var element = elements.Slice(8 * i, 8);
            if (BinaryPrimitives.ReadInt32BigEndian(element) != sizeof(float))
            {
                throw new FormatException($"Element {i} of the array is NULL or not a float4.");
            }

            values[i] = BinaryPrimitives.ReadSingleBigEndian(element[4..]);
        }

        return values;
    }
}

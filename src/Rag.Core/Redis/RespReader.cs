using System.Buffers;
using System.Buffers.Text;

namespace Rag.Core.Redis;

/// <summary>Decodes RESP2 replies from a buffer that may hold partial data.</summary>
internal static class RespReader
{
    /// <summary>
    /// Reads one complete reply from the start of <paramref name="buffer"/> and slices it off.
    /// Returns false, leaving the buffer unchanged, when the reply is not complete yet.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out RedisResult result)
    {
        var reader = new SequenceReader<byte>(buffer);
        if (!TryRead(ref reader, out result!))
        {
            return false;
        }

        buffer = buffer.Slice(reader.Position);
        return true;
    }

    private static bool TryRead(ref SequenceReader<byte> reader, out RedisResult? result)
    {
        result = null;
        if (!reader.TryRead(out var prefix) || !reader.TryReadTo(out ReadOnlySpan<byte> line, "\r\n"u8))
        {
            return false;
        }

        switch (prefix)
        {
            case (byte)'+':
                result = RedisResult.SimpleString(line);
                return true;
            case (byte)'-':
                result = RedisResult.Error(line);
                return true;
            case (byte)':':
                result = RedisResult.Integer(ParseLength(line));
                return true;
            case (byte)'$':
                return TryReadBulk(ref reader, ParseLength(line), out result);
            case (byte)'*':
                return TryReadArray(ref reader, ParseLength(line), out result);
            default:
                throw new RedisProtocolException($"Unexpected RESP type byte 0x{prefix:x2}.");
        }
    }

    private static bool TryReadBulk(ref SequenceReader<byte> reader, long length, out RedisResult? result)
    {
        result = null;
        if (length < 0)
        {
            result = RedisResult.Null;
            return true;
        }

        if (reader.Remaining < length + 2)
        {
            return false;
        }

        var bytes = new byte[length];
        reader.TryCopyTo(bytes);
        reader.Advance(length);
        if (!reader.IsNext("\r\n"u8, advancePast: true))
        {
            throw new RedisProtocolException("Bulk string is not terminated by CRLF.");
        }

        result = RedisResult.Bulk(bytes);
        return true;
    }

    private static bool TryReadArray(ref SequenceReader<byte> reader, long count, out RedisResult? result)
    {
        result = null;
        if (count < 0)
        {
            result = RedisResult.Null;
            return true;
        }

        var elements = new RedisResult[count];
        for (var i = 0; i < elements.Length; i++)
        {
            if (!TryRead(ref reader, out var element))
            {
                return false;
            }

            elements[i] = element!;
        }

        result = RedisResult.Array(elements);
        return true;
    }

    private static long ParseLength(ReadOnlySpan<byte> line) =>
        Utf8Parser.TryParse(line, out long value, out var consumed) && consumed == line.Length
            ? value
            : throw new RedisProtocolException("Malformed RESP length or integer.");
}

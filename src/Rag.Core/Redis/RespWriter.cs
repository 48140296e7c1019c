using System.Buffers;
using System.Buffers.Text;

namespace Rag.Core.Redis;

/// <summary>Encodes commands as RESP2 arrays of bulk strings.</summary>
internal static class RespWriter
{
    // "$" + up to 10 digits + "\r\n"
    private const int MaxHeaderLength = 13;

    public static void WriteCommand(IBufferWriter<byte> output, string command, ReadOnlySpan<RedisValue> arguments)
    {
        WriteHeader(output, (byte)'*', arguments.Length + 1);
        WriteBulk(output, command);
        foreach (var argument in arguments)
        {
            WriteBulk(output, argument);
        }
    }

    private static void WriteBulk(IBufferWriter<byte> output, RedisValue value)
    {
        var maxLength = value.MaxByteCount;
        if (maxLength > 64 * 1024)
        {
            // Large values: exact length first so the header can precede the bytes without a temporary copy.
            var length = value.GetByteCount();
            WriteHeader(output, (byte)'$', length);
            var span = output.GetSpan(length + 2);
            value.CopyTo(span);
            span[length] = (byte)'\r';
            span[length + 1] = (byte)'\n';
            output.Advance(length + 2);
            return;
        }

        // Small values: encode after a header-sized gap, then write the header right-aligned into the gap.
        var buffer = output.GetSpan(MaxHeaderLength + maxLength + 2);
        var written = value.CopyTo(buffer[MaxHeaderLength..]);
        Span<byte> header = stackalloc byte[MaxHeaderLength];
        header[0] = (byte)'$';
        Utf8Formatter.TryFormat(written, header[1..], out var digits);
        header[1 + digits] = (byte)'\r';
        header[2 + digits] = (byte)'\n';
        var headerLength = digits + 3;

        // Shift the payload left to sit right after the header.
        buffer.Slice(MaxHeaderLength, written).CopyTo(buffer[headerLength..]);
        header[..headerLength].CopyTo(buffer);
        buffer[headerLength + written] = (byte)'\r';
        buffer[headerLength + written + 1] = (byte)'\n';
        output.Advance(headerLength + written + 2);
    }

    private static void WriteHeader(IBufferWriter<byte> output, byte prefix, int length)
    {
        var span = output.GetSpan(MaxHeaderLength);
        span[0] = prefix;
        Utf8Formatter.TryFormat(length, span[1..], out var digits);
        span[1 + digits] = (byte)'\r';
        span[2 + digits] = (byte)'\n';
        output.Advance(digits + 3);
    }
}

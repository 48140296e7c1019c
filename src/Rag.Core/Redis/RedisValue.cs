using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Rag.Core.Redis;

/// <summary>
/// A command argument: text, bytes or a number. Encoded straight into the write buffer, so a string argument
/// is never copied into an intermediate byte array.
/// </summary>
public readonly struct RedisValue
{
    private readonly string? _text;
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly long _integer;
    private readonly Kind _kind;

    private RedisValue(string? text, ReadOnlyMemory<byte> bytes, long integer, Kind kind)
    {
        _text = text;
        _bytes = bytes;
        _integer = integer;
        _kind = kind;
    }

    public static implicit operator RedisValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(value, default, 0, Kind.Text);
    }

    public static implicit operator RedisValue(byte[] value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new(null, value, 0, Kind.Bytes);
    }

    public static implicit operator RedisValue(ReadOnlyMemory<byte> value) => new(null, value, 0, Kind.Bytes);

    public static implicit operator RedisValue(long value) => new(null, default, value, Kind.Integer);

    public static implicit operator RedisValue(int value) => new(null, default, value, Kind.Integer);

    public static RedisValue FromString(string value) => value;

    public static RedisValue FromBytes(ReadOnlyMemory<byte> value) => value;

    public static RedisValue FromInt64(long value) => value;

    /// <summary>Upper bound of the encoded length, used to size the write buffer.</summary>
    internal int MaxByteCount => _kind switch
    {
        Kind.Text => Encoding.UTF8.GetMaxByteCount(_text!.Length),
        Kind.Bytes => _bytes.Length,
        _ => 20,
    };

    internal int GetByteCount() => _kind switch
    {
        Kind.Text => Encoding.UTF8.GetByteCount(_text!),
        Kind.Bytes => _bytes.Length,
        _ => CountDigits(_integer),
    };

    /// <summary>Writes the value's bytes into <paramref name="destination"/>, which holds at least <see cref="GetByteCount"/> bytes.</summary>
    internal int CopyTo(Span<byte> destination)
    {
        switch (_kind)
        {
            case Kind.Text:
                return Encoding.UTF8.GetBytes(_text!, destination);
            case Kind.Bytes:
                _bytes.Span.CopyTo(destination);
                return _bytes.Length;
            default:
                Utf8Formatter.TryFormat(_integer, destination, out var written);
                return written;
        }
    }

    public override string ToString() => _kind switch
    {
        Kind.Text => _text!,
        Kind.Bytes => Encoding.UTF8.GetString(_bytes.Span),
        _ => _integer.ToString(CultureInfo.InvariantCulture),
    };

    private static int CountDigits(long value)
    {
        Span<byte> scratch = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, scratch, out var written);
        return written;
    }

    // Bytes first, so default(RedisValue) is the empty value rather than a null string.
    private enum Kind : byte
    {
        Bytes,
        Text,
        Integer,
    }
}

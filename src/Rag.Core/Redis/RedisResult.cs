using System.Globalization;
using System.Text;

namespace Rag.Core.Redis;

/// <summary>One reply from the server. Bulk and simple strings keep their raw bytes, so values stay binary-safe.</summary>
public sealed class RedisResult
{
    public static readonly RedisResult Null = new(RedisResultKind.Null, null, 0, null);

    private static readonly RedisResult Ok = new(RedisResultKind.SimpleString, "OK"u8.ToArray(), 0, null);
    private static readonly RedisResult EmptyArray = new(RedisResultKind.Array, null, 0, []);

    private readonly byte[]? _bytes;
    private readonly long _integer;
    private readonly RedisResult[]? _elements;

    private RedisResult(RedisResultKind kind, byte[]? bytes, long integer, RedisResult[]? elements)
    {
        Kind = kind;
        _bytes = bytes;
        _integer = integer;
        _elements = elements;
    }

    public RedisResultKind Kind { get; }

    public bool IsNull => Kind == RedisResultKind.Null;

    internal static RedisResult SimpleString(ReadOnlySpan<byte> bytes) =>
        bytes.SequenceEqual("OK"u8) ? Ok : new(RedisResultKind.SimpleString, bytes.ToArray(), 0, null);

    internal static RedisResult Error(ReadOnlySpan<byte> bytes) => new(RedisResultKind.Error, bytes.ToArray(), 0, null);

    internal static RedisResult Integer(long value) => new(RedisResultKind.Integer, null, value, null);

    internal static RedisResult Bulk(byte[] bytes) => new(RedisResultKind.BulkString, bytes, 0, null);

    internal static RedisResult Array(RedisResult[] elements) =>
        elements.Length == 0 ? EmptyArray : new(RedisResultKind.Array, null, 0, elements);

    /// <summary>The raw bytes of a bulk or simple string; null for a null reply.</summary>
    public byte[]? AsBytes() => Kind switch
    {
        RedisResultKind.Null => null,
        RedisResultKind.BulkString or RedisResultKind.SimpleString => _bytes,
        _ => throw Unexpected("a string"),
    };

    /// <summary>A bulk or simple string decoded as UTF-8, or an integer's text; null for a null reply.</summary>
    public string? AsString() => Kind switch
    {
        RedisResultKind.Null => null,
        RedisResultKind.BulkString or RedisResultKind.SimpleString => Encoding.UTF8.GetString(_bytes!),
        RedisResultKind.Integer => _integer.ToString(CultureInfo.InvariantCulture),
        _ => throw Unexpected("a string"),
    };

    /// <summary>An integer reply, or a string reply holding an integer (as GET returns after INCR).</summary>
    public long AsInt64()
    {
        if (Kind == RedisResultKind.Integer)
        {
            return _integer;
        }

        if (Kind is RedisResultKind.BulkString or RedisResultKind.SimpleString &&
            long.TryParse(_bytes, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }

        throw Unexpected("an integer");
    }

    /// <summary>The elements of an array reply; empty for a null array.</summary>
    public IReadOnlyList<RedisResult> AsArray() => Kind switch
    {
        RedisResultKind.Array => _elements!,
        RedisResultKind.Null => [],
        _ => throw Unexpected("an array"),
    };

    /// <summary>The server's message for an error reply.</summary>
    public string ErrorMessage => Kind == RedisResultKind.Error ? Encoding.UTF8.GetString(_bytes!) : throw Unexpected("an error");

    public override string ToString() => Kind switch
    {
        RedisResultKind.Null => "(nil)",
        RedisResultKind.Error => "(error) " + ErrorMessage,
        RedisResultKind.Array => $"(array of {_elements!.Length})",
        _ => AsString()!,
    };

    private RedisProtocolException Unexpected(string expected) =>
        new($"Expected {expected} reply but the server sent {Kind}.");
}

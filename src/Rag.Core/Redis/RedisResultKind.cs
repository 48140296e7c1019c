namespace Rag.Core.Redis;

/// <summary>The RESP2 reply types.</summary>
public enum RedisResultKind
{
    Null,
    SimpleString,
    Error,
    Integer,
    BulkString,
    Array,
}

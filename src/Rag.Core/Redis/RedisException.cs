namespace Rag.Core.Redis;

/// <summary>Base of every error the Redis client raises.</summary>
public class RedisException : Exception
{
    public RedisException(string message)
        : base(message)
    {
    }

    public RedisException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public RedisException()
    {
    }
}

/// <summary>The server could not be reached, or the connection broke while the command was in flight.</summary>
public sealed class RedisConnectionException : RedisException
{
    public RedisConnectionException(string message)
        : base(message)
    {
    }

    public RedisConnectionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public RedisConnectionException()
    {
    }
}

/// <summary>No reply arrived within the command timeout. The connection is reset, because later replies would be misaligned.</summary>
public sealed class RedisTimeoutException : RedisException
{
    public RedisTimeoutException(string message)
        : base(message)
    {
    }

    public RedisTimeoutException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public RedisTimeoutException()
    {
    }
}

/// <summary>The server rejected the credentials, or requires credentials that were not given.</summary>
public sealed class RedisAuthenticationException : RedisException
{
    public RedisAuthenticationException(string message)
        : base(message)
    {
    }

    public RedisAuthenticationException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public RedisAuthenticationException()
    {
    }
}

/// <summary>The server answered with an error reply; <see cref="Exception.Message"/> is the server's message.</summary>
public sealed class RedisServerException : RedisException
{
    public RedisServerException(string message)
        : base(message)
    {
    }

    public RedisServerException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public RedisServerException()
    {
    }

    /// <summary>The error's first word, such as ERR, WRONGTYPE, NOSCRIPT or BUSYGROUP.</summary>
    public string ErrorCode => Message.Split(' ', 2)[0];
}

/// <summary>The server sent bytes that are not valid RESP2, or a reply of an unexpected type.</summary>
public sealed class RedisProtocolException : RedisException
{
    public RedisProtocolException(string message)
        : base(message)
    {
    }

    public RedisProtocolException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public RedisProtocolException()
    {
    }
}

using Microsoft.Extensions.Logging;

namespace Rag.Core.Redis;

internal static partial class RedisLog
{
    [LoggerMessage(1, LogLevel.Information, "Connected to Redis at {Endpoint}")]
    public static partial void Connected(ILogger logger, string endpoint);

    [LoggerMessage(2, LogLevel.Warning, "Redis connection to {Endpoint} lost")]
    public static partial void ConnectionLost(ILogger logger, string endpoint, Exception exception);

    [LoggerMessage(3, LogLevel.Warning, "Connecting to Redis at {Endpoint} failed; next attempt in {Delay}")]
    public static partial void ConnectFailed(ILogger logger, string endpoint, TimeSpan delay, Exception exception);

    [LoggerMessage(5, LogLevel.Error, "Redis subscription handler for channel {Channel} failed")]
    public static partial void SubscriptionHandlerFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(6, LogLevel.Information, "Resubscribed to {Count} Redis channels after reconnecting")]
    public static partial void Resubscribed(ILogger logger, int count);
}

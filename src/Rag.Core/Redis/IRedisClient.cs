namespace Rag.Core.Redis;

/// <summary>
/// A Redis client shared by the whole process. Thread-safe: concurrent callers are pipelined over one connection.
/// Typed commands are extension methods (<see cref="RedisKeyCommands"/>, <see cref="RedisStreamCommands"/>, …).
/// Failures surface as <see cref="RedisConnectionException"/>, <see cref="RedisTimeoutException"/>,
/// <see cref="RedisAuthenticationException"/> or <see cref="RedisServerException"/>; after a lost connection the
/// next command reconnects by itself.
/// </summary>
public interface IRedisClient : IAsyncDisposable
{
    /// <summary>Sends any command over the shared connection. An error reply throws <see cref="RedisServerException"/>.</summary>
    Task<RedisResult> ExecuteAsync(string command, RedisValue[] arguments, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends a command that may block on the server (XREADGROUP BLOCK, BLPOP) over a connection of its own, so it
    /// does not hold up other callers. <paramref name="blockTime"/> extends the command timeout.
    /// </summary>
    Task<RedisResult> ExecuteBlockingAsync(string command, RedisValue[] arguments, TimeSpan blockTime, CancellationToken cancellationToken = default);

    /// <summary>
    /// Subscribes <paramref name="handler"/> to <paramref name="channel"/> on the dedicated pub/sub connection;
    /// subscriptions are restored after a reconnect. The handler runs on the connection's reader: keep it short.
    /// Dispose the returned object to unsubscribe.
    /// </summary>
    Task<IAsyncDisposable> SubscribeAsync(string channel, Action<RedisMessage> handler, CancellationToken cancellationToken = default);
}

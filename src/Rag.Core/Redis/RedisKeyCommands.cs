namespace Rag.Core.Redis;

/// <summary>Typed PING, DEL, EXISTS, EXPIRE, TTL, PUBLISH and FLUSHDB.</summary>
public static class RedisKeyCommands
{
    public static async Task PingAsync(this IRedisClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        await client.ExecuteAsync("PING", [], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the keys; returns how many existed.</summary>
    public static async Task<long> DeleteAsync(this IRedisClient client, IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(keys);
        var reply = await client.ExecuteAsync("DEL", [.. keys.Select(key => (RedisValue)key)], cancellationToken).ConfigureAwait(false);
        return reply.AsInt64();
    }

    public static Task<long> DeleteAsync(this IRedisClient client, string key, CancellationToken cancellationToken = default) =>
        client.DeleteAsync([key], cancellationToken);

    public static async Task<bool> ExistsAsync(this IRedisClient client, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = await client.ExecuteAsync("EXISTS", [key], cancellationToken).ConfigureAwait(false);
        return reply.AsInt64() > 0;
    }

    /// <summary>Sets a time to live (millisecond precision); false when the key does not exist.</summary>
    public static async Task<bool> ExpireAsync(this IRedisClient client, string key, TimeSpan expiry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = await client.ExecuteAsync("PEXPIRE", [key, (long)Math.Ceiling(expiry.TotalMilliseconds)], cancellationToken).ConfigureAwait(false);
        return reply.AsInt64() == 1;
    }

    /// <summary>The remaining time to live; null when the key is missing or has no expiry.</summary>
    public static async Task<TimeSpan?> TimeToLiveAsync(this IRedisClient client, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = await client.ExecuteAsync("PTTL", [key], cancellationToken).ConfigureAwait(false);
        var milliseconds = reply.AsInt64();
        return milliseconds < 0 ? null : TimeSpan.FromMilliseconds(milliseconds);
    }

    /// <summary>Publishes a message; returns how many subscribers received it.</summary>
    public static async Task<long> PublishAsync(this IRedisClient client, string channel, RedisValue message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = await client.ExecuteAsync("PUBLISH", [channel, message], cancellationToken).ConfigureAwait(false);
        return reply.AsInt64();
    }

    /// <summary>Deletes every key of the selected database. Meant for tests and local tooling.</summary>
    public static async Task FlushDatabaseAsync(this IRedisClient client, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        await client.ExecuteAsync("FLUSHDB", [], cancellationToken).ConfigureAwait(false);
    }
}

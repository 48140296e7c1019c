namespace Rag.Core.Redis;

/// <summary>Typed stream and consumer-group commands: XADD, XGROUP CREATE, XREADGROUP, XACK, XAUTOCLAIM, XPENDING, XLEN, XDEL.</summary>
public static class RedisStreamCommands
{
    /// <summary>Appends an entry with a server-assigned id; <paramref name="approximateMaxLength"/> trims with MAXLEN ~.</summary>
    public static async Task<string> StreamAddAsync(
        this IRedisClient client,
        string key,
        IReadOnlyList<KeyValuePair<string, RedisValue>> fields,
        long? approximateMaxLength = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentOutOfRangeException.ThrowIfZero(fields.Count, nameof(fields));
        var arguments = new List<RedisValue>(4 + (fields.Count * 2)) { key };
        if (approximateMaxLength is { } maxLength)
        {
            arguments.Add("MAXLEN");
            arguments.Add("~");
            arguments.Add(maxLength);
        }

        arguments.Add("*");
        foreach (var (name, value) in fields)
        {
            arguments.Add(name);
            arguments.Add(value);
        }

        var reply = await client.ExecuteAsync("XADD", [.. arguments], cancellationToken).ConfigureAwait(false);
        return reply.AsString()!;
    }

    /// <summary>Creates a consumer group (and the stream if missing); false when the group already exists.</summary>
    public static async Task<bool> StreamCreateGroupAsync(
        this IRedisClient client, string key, string group, string startId = "$", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            await client.ExecuteAsync("XGROUP", ["CREATE", key, group, startId, "MKSTREAM"], cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RedisServerException error) when (error.ErrorCode == "BUSYGROUP")
        {
            return false;
        }
    }

    /// <summary>
    /// XREADGROUP for one stream. <paramref name="startId"/> ">" reads new entries; "0" re-reads this consumer's
    /// pending ones. With <paramref name="block"/>, waits up to that long on a connection of its own so other
    /// callers are not held up. Returns an empty list when nothing arrived.
    /// </summary>
    public static async Task<IReadOnlyList<RedisStreamEntry>> StreamReadGroupAsync(
        this IRedisClient client,
        string key,
        string group,
        string consumer,
        int count,
        TimeSpan? block = null,
        string startId = ">",
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        RedisResult reply;
        if (block is { } blockTime)
        {
            var milliseconds = (long)Math.Ceiling(blockTime.TotalMilliseconds);
            reply = await client.ExecuteBlockingAsync(
                "XREADGROUP",
                ["GROUP", group, consumer, "COUNT", count, "BLOCK", milliseconds, "STREAMS", key, startId],
                blockTime,
                cancellationToken).ConfigureAwait(false);
        }
        else
        {
            reply = await client.ExecuteAsync(
                "XREADGROUP", ["GROUP", group, consumer, "COUNT", count, "STREAMS", key, startId], cancellationToken).ConfigureAwait(false);
        }

        // [[key, [entry, entry, ...]]] or null
        var streams = reply.AsArray();
        return streams.Count == 0 ? [] : [.. streams[0].AsArray()[1].AsArray().Select(RedisStreamEntry.FromReply)];
    }

    public static async Task<long> StreamAcknowledgeAsync(
        this IRedisClient client, string key, string group, IReadOnlyList<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(ids);
        var reply = await client.ExecuteAsync("XACK", [key, group, .. ids.Select(id => (RedisValue)id)], cancellationToken).ConfigureAwait(false);
        return reply.AsInt64();
    }

    /// <summary>Claims for <paramref name="consumer"/> up to <paramref name="count"/> entries pending longer than <paramref name="minIdleTime"/>.</summary>
    public static async Task<RedisAutoClaimResult> StreamAutoClaimAsync(
        this IRedisClient client,
        string key,
        string group,
        string consumer,
        TimeSpan minIdleTime,
        string startId = "0-0",
        int count = 100,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = await client.ExecuteAsync(
            "XAUTOCLAIM",
            [key, group, consumer, (long)minIdleTime.TotalMilliseconds, startId, "COUNT", count],
            cancellationToken).ConfigureAwait(false);

        // [next-start, [entry, ...], [deleted-id, ...]] (the third element since Redis 7)
        var parts = reply.AsArray();
        var entries = parts[1].AsArray().Where(entry => !entry.IsNull).Select(RedisStreamEntry.FromReply).ToList();
        IReadOnlyList<string> deleted = parts.Count > 2 ? [.. parts[2].AsArray().Select(id => id.AsString()!)] : [];
        return new RedisAutoClaimResult(parts[0].AsString()!, entries, deleted);
    }

    public static async Task<RedisPendingSummary> StreamPendingSummaryAsync(
        this IRedisClient client, string key, string group, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = await client.ExecuteAsync("XPENDING", [key, group], cancellationToken).ConfigureAwait(false);

        // [count, smallest-id, largest-id, [[consumer, count-as-string], ...]]
        var parts = reply.AsArray();
        var consumers = parts[3].AsArray().ToDictionary(
            consumer => consumer.AsArray()[0].AsString()!,
            consumer => consumer.AsArray()[1].AsInt64(),
            StringComparer.Ordinal);
        return new RedisPendingSummary(parts[0].AsInt64(), parts[1].AsString(), parts[2].AsString(), consumers);
    }

    public static async Task<long> StreamLengthAsync(this IRedisClient client, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = await client.ExecuteAsync("XLEN", [key], cancellationToken).ConfigureAwait(false);
        return reply.AsInt64();
    }

    public static async Task<long> StreamDeleteAsync(this IRedisClient client, string key, IReadOnlyList<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(ids);
        var reply = await client.ExecuteAsync("XDEL", [key, .. ids.Select(id => (RedisValue)id)], cancellationToken).ConfigureAwait(false);
        return reply.AsInt64();
    }
}

using System.Text;

namespace Rag.Core.Redis;

/// <summary>Typed GET, SET, INCR, MGET and MSET.</summary>
public static class RedisStringCommands
{
    public static Task<byte[]?> GetAsync(this IRedisClient client, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        return AsBytesAsync(client.ExecuteAsync("GET", [key], cancellationToken));
    }

    public static async Task<string?> GetStringAsync(this IRedisClient client, string key, CancellationToken cancellationToken = default)
    {
        var bytes = await client.GetAsync(key, cancellationToken).ConfigureAwait(false);
        return bytes is null ? null : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>SET with an optional expiry (millisecond precision) and condition; false when the condition kept it from writing.</summary>
    public static Task<bool> SetAsync(
        this IRedisClient client,
        string key,
        RedisValue value,
        TimeSpan? expiry = null,
        SetCondition condition = SetCondition.Always,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        RedisValue[] arguments = (expiry, condition) switch
        {
            (null, SetCondition.Always) => [key, value],
            (null, _) => [key, value, ConditionFlag(condition)],
            ({ } ttl, SetCondition.Always) => [key, value, "PX", ToMilliseconds(ttl)],
            ({ } ttl, _) => [key, value, "PX", ToMilliseconds(ttl), ConditionFlag(condition)],
        };

        return IsWrittenAsync(client.ExecuteAsync("SET", arguments, cancellationToken));
    }

    public static async Task<long> IncrementAsync(this IRedisClient client, string key, long by = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var reply = by == 1
            ? await client.ExecuteAsync("INCR", [key], cancellationToken).ConfigureAwait(false)
            : await client.ExecuteAsync("INCRBY", [key, by], cancellationToken).ConfigureAwait(false);
        return reply.AsInt64();
    }

    /// <summary>MGET: one value per key, in order, null where the key is missing.</summary>
    public static async Task<byte[]?[]> GetManyAsync(this IRedisClient client, IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            return [];
        }

        var reply = await client.ExecuteAsync("MGET", [.. keys.Select(key => (RedisValue)key)], cancellationToken).ConfigureAwait(false);
        return [.. reply.AsArray().Select(value => value.AsBytes())];
    }

    /// <summary>MSET: writes all pairs atomically, without expiry.</summary>
    public static async Task SetManyAsync(this IRedisClient client, IReadOnlyList<KeyValuePair<string, RedisValue>> pairs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
        {
            return;
        }

        var arguments = new RedisValue[pairs.Count * 2];
        for (var i = 0; i < pairs.Count; i++)
        {
            arguments[2 * i] = pairs[i].Key;
            arguments[(2 * i) + 1] = pairs[i].Value;
        }

        await client.ExecuteAsync("MSET", arguments, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pipelined SETs sharing one expiry (MSET has none): each pair is its own command, sent together.</summary>
    public static async Task SetManyAsync(
        this IRedisClient client, IReadOnlyList<KeyValuePair<string, RedisValue>> pairs, TimeSpan expiry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        await Task.WhenAll(pairs.Select(pair => client.SetAsync(pair.Key, pair.Value, expiry, cancellationToken: cancellationToken))).ConfigureAwait(false);
    }

    // GET and SET are the hottest commands. Only these small helpers are async, so their state machines hold
    // just the pending reply, not every parameter (a RedisValue is 40 bytes) of the public method.
    private static async Task<byte[]?> AsBytesAsync(Task<RedisResult> reply) => (await reply.ConfigureAwait(false)).AsBytes();

    private static async Task<bool> IsWrittenAsync(Task<RedisResult> reply) => !(await reply.ConfigureAwait(false)).IsNull;

    private static string ConditionFlag(SetCondition condition) => condition == SetCondition.IfNotExists ? "NX" : "XX";

    private static long ToMilliseconds(TimeSpan expiry)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(expiry, TimeSpan.Zero, nameof(expiry));
        return (long)Math.Ceiling(expiry.TotalMilliseconds);
    }
}

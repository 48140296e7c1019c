using System.Globalization;
using Rag.Core.Redis;

namespace Rag.Core.Security;

/// <param name="RetryAfter">When refused: how long until the window resets.</param>
public readonly record struct RateLimitDecision(bool IsAllowed, long Count, TimeSpan RetryAfter);

/// <summary>
/// Fixed-window counters in Redis, shared by every replica: one atomic script increments the window's counter and
/// starts its expiry, so concurrent requests on different processes cannot both take the last permit.
/// </summary>
public sealed class DistributedRateLimiter(IRedisClient redis)
{
    private static readonly RedisScript Increment = new(
        """
        local count = redis.call('INCR', KEYS[1])
        if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
        return {count, ttl}
        """);

    /// <summary>Counts one hit against <paramref name="key"/> and says whether it is within <paramref name="limit"/> per <paramref name="window"/>.</summary>
    public async Task<RateLimitDecision> HitAsync(string key, int limit, TimeSpan window, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var result = await Increment.EvaluateAsync(
            redis, ["rag:ratelimit:" + key], [(long)window.TotalMilliseconds], cancellationToken);
        var values = result.AsArray();
        var count = values[0].AsInt64();
        return new RateLimitDecision(count <= limit, count, TimeSpan.FromMilliseconds(values[1].AsInt64()));
    }

    /// <summary>How many hits the current window of <paramref name="key"/> holds, without adding one.</summary>
    public async Task<long> PeekAsync(string key, CancellationToken cancellationToken = default)
    {
        var value = (await redis.ExecuteAsync("GET", ["rag:ratelimit:" + key], cancellationToken)).AsString();
        return value is null ? 0 : long.Parse(value, CultureInfo.InvariantCulture);
    }

    public async Task ResetAsync(string key, CancellationToken cancellationToken = default) =>
        await redis.ExecuteAsync("DEL", ["rag:ratelimit:" + key], cancellationToken);
}

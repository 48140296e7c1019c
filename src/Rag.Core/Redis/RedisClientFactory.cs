using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Rag.Core.Redis;

/// <summary>Creates a client outside dependency injection (tools, benchmarks, test fixtures). Services use <c>AddRedisClient</c>.</summary>
public static class RedisClientFactory
{
    /// <param name="connectionString">StackExchange.Redis style, e.g. <c>localhost:6379,password=secret</c>.</param>
    public static IRedisClient Create(string connectionString, RedisClientOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        return new RedisClient(RedisConnectionString.Parse(connectionString), options ?? new RedisClientOptions(), logger ?? NullLogger.Instance);
    }
}

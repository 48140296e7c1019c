using Microsoft.Extensions.Logging;
using Rag.Core.Redis;

namespace Rag.Core.Embeddings;

/// <summary>
/// Embeddings in Redis under "rag:emb:{key}" with a time to live. A cache is an optimisation: when Redis is away
/// every lookup is a miss and writes are skipped, so ingestion goes on at the model's pace instead of failing.
/// </summary>
public sealed partial class RedisEmbeddingCache(IRedisClient redis, ILogger<RedisEmbeddingCache> logger) : IEmbeddingCache
{
    private static readonly TimeSpan TimeToLive = TimeSpan.FromDays(7);

    public async Task<IReadOnlyList<ReadOnlyMemory<float>?>> GetManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        try
        {
            var values = await redis.GetManyAsync([.. keys.Select(Key)], cancellationToken);
            return [.. values.Select(value => value is null ? (ReadOnlyMemory<float>?)null : EmbeddingVectorFormat.Decode(value))];
        }
        catch (RedisException error)
        {
            Log.Unavailable(logger, error.Message);
            return new ReadOnlyMemory<float>?[keys.Count];
        }
    }

    public async Task SetManyAsync(IReadOnlyList<KeyValuePair<string, ReadOnlyMemory<float>>> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        try
        {
            await redis.SetManyAsync(
                [.. entries.Select(e => new KeyValuePair<string, RedisValue>(Key(e.Key), EmbeddingVectorFormat.Encode(e.Value.Span)))],
                TimeToLive,
                cancellationToken);
        }
        catch (RedisException error)
        {
            Log.Unavailable(logger, error.Message);
        }
    }

    private static string Key(string key) => "rag:emb:" + key;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Embedding cache unavailable, going without it: {Reason}")]
        public static partial void Unavailable(ILogger logger, string reason);
    }
}

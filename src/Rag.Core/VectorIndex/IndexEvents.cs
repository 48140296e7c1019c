using Rag.Core.Redis;

namespace Rag.Core.VectorIndex;

/// <summary>
/// "This document's chunks changed" notices over Redis pub/sub, so every API replica refreshes its in-process index
/// at once. Pub/sub is not durable: replicas also reconcile with PostgreSQL periodically, so a missed notice only delays.
/// </summary>
public sealed class IndexEvents(IRedisClient redis)
{
    public const string Channel = "rag:index-events";

    /// <summary>Counts index changes, so caches of answers can key on "the index as it is now".</summary>
    public const string GenerationKey = "rag:index-generation";

    public async Task PublishChangedAsync(Guid documentId, CancellationToken cancellationToken = default)
    {
        await redis.IncrementAsync(GenerationKey, cancellationToken: cancellationToken);
        await redis.PublishAsync(Channel, documentId.ToString(), cancellationToken);
    }

    /// <summary>The current index generation: 0 before the first change.</summary>
    public async Task<long> GetGenerationAsync(CancellationToken cancellationToken = default)
    {
        var value = await redis.GetStringAsync(GenerationKey, cancellationToken);
        return value is null ? 0 : long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public Task<IAsyncDisposable> SubscribeAsync(Action<Guid> onChanged, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(onChanged);
        return redis.SubscribeAsync(Channel, message =>
        {
            if (Guid.TryParse(message.PayloadText, out var documentId))
            {
                onChanged(documentId);
            }
        }, cancellationToken);
    }
}

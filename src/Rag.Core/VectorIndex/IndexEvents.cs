using Rag.Core.Redis;

namespace Rag.Core.VectorIndex;

/// <summary>
/// "This document's chunks changed" notices over Redis pub/sub, so every API replica refreshes its in-process index
/// at once. Pub/sub is not durable: replicas also reconcile with PostgreSQL periodically, so a missed notice only delays.
/// </summary>
public sealed class IndexEvents(IRedisClient redis)
{
    public const string Channel = "rag:index-events";

    public Task PublishChangedAsync(Guid documentId, CancellationToken cancellationToken = default) =>
        redis.PublishAsync(Channel, documentId.ToString(), cancellationToken);

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

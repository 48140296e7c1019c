namespace Rag.Core.Embeddings;

/// <summary>
/// Storage for embedding vectors by opaque key, used by <see cref="CachingEmbeddingGenerator"/>. Keys already
/// name the model and dimension; implementations may prefix them but must not interpret them. Values can be
/// stored with <see cref="EmbeddingVectorFormat"/>. Implementations are safe for concurrent callers.
/// </summary>
public interface IEmbeddingCache
{
    /// <summary>One entry per key, in key order: the stored vector, or null for a miss.</summary>
    Task<IReadOnlyList<ReadOnlyMemory<float>?>> GetManyAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default);

    Task SetManyAsync(IReadOnlyList<KeyValuePair<string, ReadOnlyMemory<float>>> entries, CancellationToken cancellationToken = default);
}

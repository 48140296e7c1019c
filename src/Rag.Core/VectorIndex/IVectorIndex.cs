namespace Rag.Core.VectorIndex;

/// <summary>
/// A derived, rebuildable index of chunk embeddings. Postgres holds the truth; an index can always be
/// rebuilt from the chunks table. Implementations are safe for concurrent callers.
/// </summary>
public interface IVectorIndex
{
    /// <summary>What this index is (kind, embedding model, dimension), for stats and health.</summary>
    VectorIndexDescription Describe();

    /// <summary>
    /// Prepares the index for vectors of <paramref name="model"/> with <paramref name="dimension"/>.
    /// Throws <see cref="VectorIndexMismatchException"/> when it already holds vectors of another model or dimension.
    /// </summary>
    Task EnsureCreatedAsync(string model, int dimension, CancellationToken cancellationToken = default);

    /// <summary>
    /// Drops every point and prepares the index for <paramref name="model"/> and <paramref name="dimension"/>, whatever
    /// it held before: the first step of a rebuild after a change of embedding model or a corrupted index.
    /// </summary>
    Task ResetAsync(string model, int dimension, CancellationToken cancellationToken = default);

    /// <summary>
    /// Makes <paramref name="points"/> the only points of their document: every point of
    /// <paramref name="documentId"/> that is not in <paramref name="points"/> is removed. Idempotent.
    /// </summary>
    Task ReplaceDocumentAsync(Guid documentId, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken = default);

    Task DeleteDocumentAsync(Guid documentId, CancellationToken cancellationToken = default);

    /// <summary>The nearest points by cosine similarity, best first, restricted by <paramref name="filter"/>.</summary>
    Task<IReadOnlyList<VectorMatch>> SearchAsync(ReadOnlyMemory<float> vector, int limit, VectorFilter filter, CancellationToken cancellationToken = default);

    Task<long> CountAsync(CancellationToken cancellationToken = default);
}

/// <param name="ChunkId">Deterministic: derived from document id, version and ordinal, so re-indexing overwrites.</param>
public sealed record VectorPoint(Guid ChunkId, Guid DocumentId, Guid CollectionId, IReadOnlyList<string> Tags, ReadOnlyMemory<float> Vector);

/// <summary>Each non-null set restricts results to points matching one of its values.</summary>
public sealed record VectorFilter(
    IReadOnlyCollection<Guid>? CollectionIds = null,
    IReadOnlyCollection<Guid>? DocumentIds = null,
    IReadOnlyCollection<string>? Tags = null)
{
    public static VectorFilter None { get; } = new();
}

/// <param name="Score">Cosine similarity of the query and the point's vector.</param>
public sealed record VectorMatch(Guid ChunkId, Guid DocumentId, float Score);

public sealed record VectorIndexDescription(string Kind, string? Model, int? Dimension, long? Count = null);

public sealed class VectorIndexMismatchException(string message) : InvalidOperationException(message);

using Rag.Core.Retrieval;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// Passages from <see cref="InProcessPassageStore"/> and embeddings from <see cref="InProcessVectorIndex"/>: a search
/// answered wholly from this replica's memory. Both are as current as the indexes that ranked the chunks.
/// </summary>
public sealed class InProcessPassageSource(InProcessPassageStore passages, InProcessVectorIndex index) : IPassageSource
{
    public Task<IReadOnlyDictionary<Guid, LoadedPassage>> LoadAsync(
        IReadOnlyList<Guid> chunkIds, IReadOnlySet<Guid> embeddingsOf, SearchFilters filters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunkIds);
        ArgumentNullException.ThrowIfNull(embeddingsOf);
        ArgumentNullException.ThrowIfNull(filters);
        if (!passages.IsLoaded)
        {
            throw new VectorIndexNotReadyException("The in-process passages have not been loaded yet.");
        }

        var loaded = new Dictionary<Guid, LoadedPassage>(chunkIds.Count);
        foreach (var chunkId in chunkIds)
        {
            if (!passages.TryGet(chunkId, out var passage) || !Admits(filters, passage))
            {
                continue;
            }

            // A passage whose vector is gone is mid-refresh: left out, as a deleted chunk is, rather than returned
            // without the embedding its relevance is measured by.
            float[]? embedding = null;
            if (embeddingsOf.Contains(chunkId) && (embedding = index.CopyVector(chunkId)) is null)
            {
                continue;
            }

            loaded[chunkId] = new LoadedPassage(passage.Hit, embedding);
        }

        return Task.FromResult<IReadOnlyDictionary<Guid, LoadedPassage>>(loaded);
    }

    // As search_passages (migration 0006) filters: content types exactly, dates from inclusive and to exclusive.
    private static bool Admits(SearchFilters filters, StoredPassage passage) =>
        (filters.ContentTypes is null || filters.ContentTypes.Contains(passage.ContentType, StringComparer.Ordinal))
        && (filters.From is not { } from || passage.CreatedAt >= from)
        && (filters.To is not { } to || passage.CreatedAt < to);
}

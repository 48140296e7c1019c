namespace Rag.Core.Retrieval;

/// <param name="Hit">The passage, unscored: the retriever adds its score, relevance and retrievers.</param>
/// <param name="Embedding">Its embedding, when asked for and known.</param>
public sealed record LoadedPassage(SearchHit Hit, float[]? Embedding);

/// <summary>
/// Where a search's passages come from once the retrievers have ranked their chunk ids: PostgreSQL, or this replica's
/// memory when the indexes are in-process too (as Qdrant would serve them from its payloads).
/// </summary>
public interface IPassageSource
{
    /// <summary>
    /// The chunks among <paramref name="chunkIds"/> that still exist and whose documents pass the content-type and
    /// date filters of <paramref name="filters"/> (the retrievers applied the others), by chunk id.
    /// </summary>
    /// <param name="embeddingsOf">The chunks whose embeddings to return too: the others come without.</param>
    Task<IReadOnlyDictionary<Guid, LoadedPassage>> LoadAsync(
        IReadOnlyList<Guid> chunkIds, IReadOnlySet<Guid> embeddingsOf, SearchFilters filters, CancellationToken cancellationToken = default);
}

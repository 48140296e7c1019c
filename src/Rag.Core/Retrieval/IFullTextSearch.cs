using Rag.Core.VectorIndex;

namespace Rag.Core.Retrieval;

/// <summary>
/// The text half of hybrid search: chunks containing any of the query's words, as PostgreSQL's English text search
/// parses and stems them, best first.
/// </summary>
public interface IFullTextSearch
{
    /// <summary>How much its ranks count in hybrid fusion against the vector retriever's weight of 1, unless configured.</summary>
    double FusionWeight { get; }

    /// <param name="filter">The same restrictions the vector half applies (collections, documents, tags).</param>
    Task<IReadOnlyList<Guid>> SearchAsync(string query, int limit, VectorFilter filter, CancellationToken cancellationToken = default);
}

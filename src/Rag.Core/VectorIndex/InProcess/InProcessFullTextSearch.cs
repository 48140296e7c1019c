using Npgsql;
using Rag.Core.Retrieval;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// Full-text search answered from <see cref="InProcessTextIndex"/>. PostgreSQL still decides a query's lexemes
/// (<see cref="QueryLexemes"/>, mostly from memory), so its words become exactly the lexemes the chunks were indexed by.
/// </summary>
public sealed class InProcessFullTextSearch(NpgsqlDataSource dataSource, InProcessTextIndex index) : IFullTextSearch
{
    private readonly QueryLexemes _lexemes = new(dataSource);

    // BM25 ranks the PostgreSQL manual's questions better than the offline embedder (recall@5 0.97 against 0.80): at
    // three times the vector weight hybrid keeps that and adds pages only the embedder finds (see docs/performance.md).
    public double FusionWeight => 3.0;

    public async Task<IReadOnlyList<Guid>> SearchAsync(string query, int limit, VectorFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(filter);
        if (!index.IsLoaded)
        {
            // As the vector half does: a search now would silently lose its text half.
            throw new VectorIndexNotReadyException("The in-process text index has not been loaded yet.");
        }

        var lexemes = await _lexemes.GetAsync(query, cancellationToken);
        return lexemes.Count == 0 ? [] : [.. index.Search(lexemes, limit, filter).Select(match => match.ChunkId)];
    }
}

using Microsoft.Extensions.AI;
using Npgsql;
using NpgsqlTypes;
using Rag.Core.VectorIndex;

namespace Rag.Core.Retrieval;

public sealed record SearchFilters(
    IReadOnlyList<string>? Collections = null,
    IReadOnlyList<string>? Tags = null,
    IReadOnlyList<Guid>? DocumentIds = null,
    IReadOnlyList<string>? ContentTypes = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    IReadOnlyList<Guid>? AllowedCollectionIds = null);

public sealed record SearchQuery(string Text, int TopK = 5, SearchFilters? Filters = null, double MinScore = 0);

/// <param name="Score">The fused reciprocal-rank score scaled to 0..1 (1: ranked first by both retrievers).</param>
/// <param name="VectorScore">Cosine similarity when the vector retriever found the chunk.</param>
/// <param name="Retrievers">"vector", "text" or both.</param>
public sealed record SearchHit(
    Guid ChunkId,
    Guid DocumentId,
    string Title,
    IReadOnlyList<string> HeadingPath,
    int? Page,
    string Text,
    double Score,
    double? VectorScore,
    IReadOnlyList<string> Retrievers);

/// <summary>
/// Hybrid retrieval: the vector index's nearest chunks and PostgreSQL full-text matches, fused by reciprocal rank
/// (Cormack et al., k = 60) so neither score scale has to be calibrated against the other.
/// </summary>
public sealed class HybridRetriever(NpgsqlDataSource dataSource, IVectorIndex index, IEmbeddingGenerator<string, Embedding<float>> embedder)
{
    private const int RankConstant = 60;

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var filters = query.Filters ?? new SearchFilters();
        var candidates = Math.Max(query.TopK * 4, 20);
        var collectionIds = filters.Collections is { Count: > 0 } names ? await ResolveCollectionsAsync(names, cancellationToken) : null;

        // The caller's access narrows whatever collections were asked for; both retrievers then filter by the result.
        if (filters.AllowedCollectionIds is { } allowed)
        {
            collectionIds = collectionIds is null ? [.. allowed] : [.. collectionIds.Intersect(allowed)];
        }
        if (collectionIds is { Count: 0 })
        {
            return [];
        }

        var vectorTask = VectorSearchAsync(query.Text, candidates, new VectorFilter(collectionIds, filters.DocumentIds, filters.Tags), cancellationToken);
        var textTask = TextSearchAsync(query.Text, candidates, collectionIds, filters, cancellationToken);
        var vectorHits = await vectorTask;
        var textHits = await textTask;

        var fused = new Dictionary<Guid, (double Score, double? Cosine, List<string> Retrievers)>();
        for (var rank = 0; rank < vectorHits.Count; rank++)
        {
            fused[vectorHits[rank].ChunkId] = (1.0 / (RankConstant + rank + 1), vectorHits[rank].Score, ["vector"]);
        }

        for (var rank = 0; rank < textHits.Count; rank++)
        {
            var contribution = 1.0 / (RankConstant + rank + 1);
            fused[textHits[rank]] = fused.TryGetValue(textHits[rank], out var existing)
                ? (existing.Score + contribution, existing.Cosine, [.. existing.Retrievers, "text"])
                : (contribution, null, ["text"]);
        }

        var best = 2.0 / (RankConstant + 1);
        var ranked = fused
            .Select(f => (Id: f.Key, Score: f.Value.Score / best, f.Value.Cosine, f.Value.Retrievers))
            .Where(f => f.Score >= query.MinScore)
            .OrderByDescending(f => f.Score)
            .ToList();

        // Content-type and date filters live on the documents table: applied while loading, in rank order.
        var details = await LoadChunksAsync([.. ranked.Select(r => r.Id)], filters, cancellationToken);
        return [.. ranked
            .Where(r => details.ContainsKey(r.Id))
            .Take(query.TopK)
            .Select(r =>
            {
                var chunk = details[r.Id];
                return chunk with { Score = r.Score, VectorScore = r.Cosine, Retrievers = r.Retrievers };
            })];
    }

    private async Task<IReadOnlyList<VectorMatch>> VectorSearchAsync(string text, int limit, VectorFilter filter, CancellationToken cancellationToken)
    {
        var embedding = await embedder.GenerateAsync([text], cancellationToken: cancellationToken);
        return await index.SearchAsync(embedding[0].Vector, limit, filter, cancellationToken);
    }

    private async Task<List<Guid>> TextSearchAsync(string text, int limit, IReadOnlyCollection<Guid>? collectionIds, SearchFilters filters, CancellationToken cancellationToken)
    {
        // Any of the query's words may match (OR), ranked by how densely the chunk covers them.
        await using var command = dataSource.CreateCommand(
            """
            WITH q AS (SELECT nullif(replace(plainto_tsquery('english', $1)::text, '&', '|'), '')::tsquery AS query)
            SELECT ch.id
            FROM chunks ch JOIN documents d ON d.id = ch.document_id, q
            WHERE q.query IS NOT NULL AND ch.tsv @@ q.query
              AND ($2::uuid[] IS NULL OR d.collection_id = ANY($2))
              AND ($3::text[] IS NULL OR d.tags && $3)
              AND ($4::uuid[] IS NULL OR d.id = ANY($4))
            ORDER BY ts_rank_cd(ch.tsv, q.query) DESC
            LIMIT $5
            """);
        command.Parameters.Add(new() { Value = text });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, Value = (object?)collectionIds?.ToArray() ?? DBNull.Value });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = (object?)filters.Tags?.ToArray() ?? DBNull.Value });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, Value = (object?)filters.DocumentIds?.ToArray() ?? DBNull.Value });
        command.Parameters.Add(new() { Value = limit });
        var ids = new List<Guid>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private async Task<Dictionary<Guid, SearchHit>> LoadChunksAsync(Guid[] ids, SearchFilters filters, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT ch.id, ch.document_id, d.title, ch.heading_path, ch.page, ch.text
            FROM chunks ch JOIN documents d ON d.id = ch.document_id
            WHERE ch.id = ANY($1)
              AND ($2::text[] IS NULL OR d.content_type = ANY($2))
              AND ($3::timestamptz IS NULL OR d.created_at >= $3)
              AND ($4::timestamptz IS NULL OR d.created_at < $4)
            """);
        command.Parameters.Add(new() { Value = ids });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = (object?)filters.ContentTypes?.ToArray() ?? DBNull.Value });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (object?)filters.From ?? DBNull.Value });
        command.Parameters.Add(new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = (object?)filters.To ?? DBNull.Value });
        var chunks = new Dictionary<Guid, SearchHit>(ids.Length);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            chunks[reader.GetGuid(0)] = new SearchHit(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetFieldValue<string[]>(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4), reader.GetString(5), 0, null, []);
        }

        return chunks;
    }

    private async Task<List<Guid>> ResolveCollectionsAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM collections WHERE name = ANY($1)");
        command.Parameters.Add(new() { Value = names.Select(n => n.ToLowerInvariant()).ToArray() });
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }
}

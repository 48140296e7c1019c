using System.Collections.Concurrent;
using System.Numerics.Tensors;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Npgsql;
using Rag.Core.Telemetry;
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

/// <param name="MinScore">Drops hits whose fused <see cref="SearchHit.Score"/> is below it.</param>
/// <param name="Diversify">Re-ranks the fused candidates by maximal marginal relevance, so near-duplicates give way to other passages.</param>
public sealed record SearchQuery(string Text, int TopK = 5, SearchFilters? Filters = null, double MinScore = 0, bool Diversify = false);

/// <param name="Score">The fused reciprocal-rank score scaled to 0..1 (1: ranked first by both retrievers).</param>
/// <param name="Relevance">
/// Cosine similarity of the query's and the chunk's embeddings, whichever retriever found it (null when the chunk was
/// embedded by another model): an absolute measure, unlike the rank-based <paramref name="Score"/>, so answers use it
/// to decide whether anything relevant was found at all.
/// </param>
/// <param name="Retrievers">"vector", "text" or both.</param>
public sealed record SearchHit(
    Guid ChunkId,
    Guid DocumentId,
    string Title,
    IReadOnlyList<string> HeadingPath,
    int? Page,
    string Text,
    double Score,
    double? Relevance,
    IReadOnlyList<string> Retrievers);

/// <summary>
/// Hybrid retrieval: the vector index's nearest chunks and full-text matches, fused by weighted reciprocal
/// rank (Cormack et al.) so neither score scale has to be calibrated against the other; optionally re-ranked by
/// maximal marginal relevance. Thread-safe.
/// </summary>
public sealed class HybridRetriever(
    NpgsqlDataSource dataSource,
    IVectorIndex index,
    IFullTextSearch fullText,
    IPassageSource passages,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    IOptions<RetrievalOptions> options)
{
    private readonly RetrievalOptions _options = options.Value;

    // Collections are never deleted or renamed, so a name, once found, names the same collection for good. Names not
    // found are not remembered: they may be created by the next upload.
    private readonly ConcurrentDictionary<string, Guid> _collectionIds = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var activity = RagActivitySources.Retrieval.StartActivity("hybrid search");
        activity?.SetTag("rag.search.top_k", query.TopK);
        var started = Stopwatch.GetTimestamp();
        var hits = await SearchCoreAsync(query, cancellationToken);
        activity?.SetTag("rag.search.hits", hits.Count);
        RagMetrics.RecordSearch(Stopwatch.GetElapsedTime(started), hits.Count);
        return hits;
    }

    private async Task<IReadOnlyList<SearchHit>> SearchCoreAsync(SearchQuery query, CancellationToken cancellationToken)
    {
        var filters = query.Filters ?? new SearchFilters();
        var candidates = Math.Max(query.TopK * 4, _options.MinCandidates);
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

        GeneratedEmbeddings<Embedding<float>> embedding;
        using (RagActivitySources.Retrieval.StartActivity("embed query"))
        {
            embedding = await embedder.GenerateAsync([query.Text], cancellationToken: cancellationToken);
        }

        var queryVector = embedding[0].Vector;
        var scope = new VectorFilter(collectionIds, filters.DocumentIds, filters.Tags);
        // The vector search is queued first: the in-process index scans on other threads while this one ranks the text.
        var vectorTask = VectorSearchAsync(queryVector, candidates, scope, cancellationToken);
        using var abandonText = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var textTask = TextSearchAsync(query.Text, candidates, scope, abandonText.Token);
        IReadOnlyList<VectorMatch> vectorHits;
        try
        {
            vectorHits = await vectorTask;
        }
        catch
        {
            // No hybrid result without the vector half: stop the full-text query rather than leave it running unobserved.
            await abandonText.CancelAsync();
            await ((Task)textTask).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw;
        }

        var ranked = Fuse(vectorHits, await textTask);

        // The index scored its own hits by cosine already: only chunks found by text alone (or all of them, for MMR's
        // comparisons) need their embedding read to measure relevance.
        var vectorRelevance = new Dictionary<Guid, double>(vectorHits.Count);
        foreach (var hit in vectorHits)
        {
            vectorRelevance[hit.ChunkId] = hit.Score;
        }

        HashSet<Guid> NeedingEmbeddings(IEnumerable<Guid> ids) => [.. ids.Where(id => query.Diversify || !vectorRelevance.ContainsKey(id))];

        // Content-type and date filters live on the documents table: applied while loading, in rank order. Without
        // them, and without MMR (which compares every candidate), only the chunks that can be returned are read.
        ranked = [.. ranked.Where(r => r.Score >= query.MinScore)];
        var needsEveryCandidate = query.Diversify || filters.ContentTypes is not null || filters.From is not null || filters.To is not null;
        Guid[] first = [.. ranked.Take(needsEveryCandidate ? ranked.Count : query.TopK).Select(r => r.Id)];
        var details = new Dictionary<Guid, LoadedPassage>(await LoadPassagesAsync(first, NeedingEmbeddings(first), filters, cancellationToken));
        if (details.Count < query.TopK && ranked.Count > query.TopK && !needsEveryCandidate)
        {
            // A chunk the index still holds was deleted meanwhile: fill its place from the next candidates.
            Guid[] next = [.. ranked.Skip(query.TopK).Select(r => r.Id)];
            foreach (var (id, passage) in await LoadPassagesAsync(next, NeedingEmbeddings(next), filters, cancellationToken))
            {
                details[id] = passage;
            }
        }
        var hits = ranked
            .Where(r => details.ContainsKey(r.Id))
            .Select(r =>
            {
                var (hit, vector) = details[r.Id];
                var relevance = vectorRelevance.TryGetValue(r.Id, out var cosine) ? cosine : Cosine(queryVector.Span, vector);
                return (Hit: hit with { Score = r.Score, Relevance = relevance, Retrievers = r.Retrievers }, Vector: vector);
            })
            .ToList();
        return query.Diversify
            ? Diversify(hits, query.TopK)
            : [.. hits.Take(query.TopK).Select(h => h.Hit)];
    }

    private async Task<IReadOnlyList<VectorMatch>> VectorSearchAsync(ReadOnlyMemory<float> vector, int limit, VectorFilter filter, CancellationToken cancellationToken)
    {
        using var activity = RagActivitySources.Retrieval.StartActivity("vector index search", ActivityKind.Client);
        activity?.SetTag("rag.vector_index.kind", index.Describe().Kind);
        return await index.SearchAsync(vector, limit, filter, cancellationToken);
    }

    /// <summary>Weighted reciprocal rank fusion, scaled so that 1 means "ranked first by both retrievers".</summary>
    private List<(Guid Id, double Score, List<string> Retrievers)> Fuse(IReadOnlyList<VectorMatch> vectorHits, IReadOnlyList<Guid> textHits)
    {
        var textWeight = _options.TextWeight ?? fullText.FusionWeight;
        var fused = new Dictionary<Guid, (double Score, List<string> Retrievers)>();
        for (var rank = 0; rank < vectorHits.Count; rank++)
        {
            fused[vectorHits[rank].ChunkId] = (_options.VectorWeight / (_options.RankConstant + rank + 1), ["vector"]);
        }

        for (var rank = 0; rank < textHits.Count; rank++)
        {
            var contribution = textWeight / (_options.RankConstant + rank + 1);
            fused[textHits[rank]] = fused.TryGetValue(textHits[rank], out var existing)
                ? (existing.Score + contribution, [.. existing.Retrievers, "text"])
                : (contribution, ["text"]);
        }

        var best = (_options.VectorWeight + textWeight) / (_options.RankConstant + 1);
        // A retriever weighted 0 contributes nothing, not even unscored candidates.
        return [.. fused
            .Where(f => f.Value.Score > 0)
            .Select(f => (Id: f.Key, Score: f.Value.Score / best, f.Value.Retrievers))
            .OrderByDescending(f => f.Score)
            .ThenBy(f => f.Id)];
    }

    /// <summary>
    /// Maximal marginal relevance (Carbonell and Goldstein): each next pick trades its fused score against its
    /// similarity to the passages already picked. Chunks without an embedding count as novel.
    /// </summary>
    private List<SearchHit> Diversify(List<(SearchHit Hit, float[]? Vector)> hits, int topK)
    {
        var lambda = _options.MmrLambda;
        var selected = new List<(SearchHit Hit, float[]? Vector)>(topK);
        var remaining = new List<(SearchHit Hit, float[]? Vector)>(hits);
        while (selected.Count < topK && remaining.Count > 0)
        {
            var bestIndex = 0;
            var bestValue = double.NegativeInfinity;
            for (var i = 0; i < remaining.Count; i++)
            {
                var candidate = remaining[i];
                var redundancy = selected.Count == 0 || candidate.Vector is null
                    ? 0
                    : selected.Max(s => s.Vector is null ? 0 : Cosine(candidate.Vector, s.Vector) ?? 0);
                var value = (lambda * candidate.Hit.Score) - ((1 - lambda) * redundancy);
                if (value > bestValue)
                {
                    bestValue = value;
                    bestIndex = i;
                }
            }

            selected.Add(remaining[bestIndex]);
            remaining.RemoveAt(bestIndex);
        }

        return [.. selected.Select(s => s.Hit)];
    }

    private static double? Cosine(ReadOnlySpan<float> left, float[]? right) =>
        right is null || right.Length != left.Length ? null : TensorPrimitives.CosineSimilarity(left, right);

    private async Task<IReadOnlyList<Guid>> TextSearchAsync(string text, int limit, VectorFilter filter, CancellationToken cancellationToken)
    {
        using var activity = RagActivitySources.Retrieval.StartActivity("full-text search");
        return await fullText.SearchAsync(text, limit, filter, cancellationToken);
    }

    private async Task<IReadOnlyDictionary<Guid, LoadedPassage>> LoadPassagesAsync(
        Guid[] ids, HashSet<Guid> embeddingsOf, SearchFilters filters, CancellationToken cancellationToken)
    {
        using var activity = RagActivitySources.Retrieval.StartActivity("load passages");
        return await passages.LoadAsync(ids, embeddingsOf, filters, cancellationToken);
    }

    private async Task<List<Guid>> ResolveCollectionsAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        var normalized = names.Select(n => n.ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        var ids = new List<Guid>(normalized.Count);
        var unknown = new List<string>();
        foreach (var name in normalized)
        {
            if (_collectionIds.TryGetValue(name, out var id))
            {
                ids.Add(id);
            }
            else
            {
                unknown.Add(name);
            }
        }

        if (unknown.Count == 0)
        {
            return ids;
        }

        await using var command = dataSource.CreateCommand("SELECT name, id FROM collections WHERE name = ANY($1)");
        command.Parameters.Add(new() { Value = unknown.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(1);
            _collectionIds.TryAdd(reader.GetString(0), id);
            ids.Add(id);
        }

        return ids;
    }
}

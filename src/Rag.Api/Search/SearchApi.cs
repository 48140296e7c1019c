using Microsoft.AspNetCore.Http.HttpResults;
using Rag.Api.Auth;
using Rag.Core.Identity;
using Rag.Core.Retrieval;

namespace Rag.Api.Search;

public sealed record SearchFiltersRequest(
    IReadOnlyList<string>? Tags = null,
    IReadOnlyList<Guid>? DocumentIds = null,
    IReadOnlyList<string>? ContentTypes = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null);

/// <param name="Diversify">Re-rank by maximal marginal relevance (lambda: configuration Retrieval:MmrLambda).</param>
public sealed record SearchRequest(
    string? Query, int? TopK = null, string? Collection = null, SearchFiltersRequest? Filters = null, double? MinScore = null, bool Diversify = false);

/// <param name="Score">Fused reciprocal-rank score, 0..1 (1: ranked first by both retrievers).</param>
/// <param name="Relevance">Cosine similarity of query and chunk embeddings.</param>
public sealed record SearchResult(
    Guid ChunkId, Guid DocumentId, string Title, IReadOnlyList<string> HeadingPath, int? Page, string Text, double Score, double? Relevance, IReadOnlyList<string> Retrievers);

public sealed record SearchResponse(string Query, IReadOnlyList<SearchResult> Results);

public static class SearchApi
{
    public const int MaxQueryLength = 2_000;

    public static RouteHandlerBuilder MapSearchApi(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPost("/api/v1/search", SearchAsync)
            .WithTags("Search")
            .WithName("Search")
            .WithSummary("Hybrid retrieval: vector and full-text matches fused by reciprocal rank.");

    public static async Task<Results<Ok<SearchResponse>, ValidationProblem>> SearchAsync(
        SearchRequest request, HttpContext context, HybridRetriever retriever, CollectionAccessStore access, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Query))
        {
            errors["query"] = ["A query is required."];
        }
        else if (request.Query.Length > MaxQueryLength)
        {
            errors["query"] = [$"A query has at most {MaxQueryLength} characters."];
        }

        if (request.TopK is < 1 or > 50)
        {
            errors["top_k"] = ["top_k is between 1 and 50."];
        }

        if (request.MinScore is < 0 or > 1)
        {
            errors["min_score"] = ["min_score is between 0 and 1."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var filters = request.Filters;
        var allowed = await access.GetAllowedAsync(context.GetCaller(), CollectionPermission.Read, cancellationToken);
        var hits = await retriever.SearchAsync(
            new SearchQuery(
                request.Query!,
                request.TopK ?? 5,
                new SearchFilters(
                    request.Collection is { Length: > 0 } collection ? [collection] : null,
                    filters?.Tags, filters?.DocumentIds, filters?.ContentTypes, filters?.From, filters?.To, allowed),
                request.MinScore ?? 0,
                request.Diversify),
            cancellationToken);
        return TypedResults.Ok(new SearchResponse(
            request.Query!,
            [.. hits.Select(h => new SearchResult(h.ChunkId, h.DocumentId, h.Title, h.HeadingPath, h.Page, h.Text, h.Score, h.Relevance, h.Retrievers))]));
    }
}

using Rag.Api.Search;
using Rag.Core.Generation;

namespace Rag.Api.Answers;

/// <param name="MaxResults">How many passages the answer may draw on, 1..20 (default: configuration Answers:DefaultMaxResults).</param>
/// <param name="Threshold">The least relevance (query-passage cosine similarity, 0..1) a passage needs.</param>
public sealed record AnswerRequestBody(
    string? Query, int? MaxResults = null, double? Threshold = null, string? Collection = null, SearchFiltersRequest? Filters = null, Guid? ConversationId = null);

public sealed record SourceResponse(int N, Guid ChunkId, Guid DocumentId, string Title, string? Section, int? Page, string Text, double Score);

public sealed record TimingsResponse(long RetrievalMs, long GenerationMs, long TotalMs);

public sealed record QueryResponse(
    string RequestId,
    string Query,
    string Answer,
    IReadOnlyList<SourceResponse> Sources,
    double Confidence,
    TimingsResponse Timings,
    IReadOnlyList<string> GuardrailsTriggered,
    Guid? ConversationId,
    bool Cached);

public sealed record ChatSourcesEvent(IReadOnlyList<SourceResponse> Sources, Guid? ConversationId, string StandaloneQuestion, IReadOnlyList<string> GuardrailsTriggered);

public sealed record ChatDeltaEvent(string Text);

public sealed record ChatDoneEvent(
    string RequestId, Guid? ConversationId, string Answer, double Confidence, TimingsResponse Timings, IReadOnlyList<string> GuardrailsTriggered, bool Cached);

/// <summary>The last event of a chat cut short because the server is stopping; the answer streamed so far is incomplete.</summary>
public sealed record ChatStoppingEvent(string Message);

internal static class AnswerMapping
{
    public static IReadOnlyList<SourceResponse> ToResponse(this IReadOnlyList<AnswerSource> sources) =>
        [.. sources.Select(s => new SourceResponse(s.Number, s.ChunkId, s.DocumentId, s.Title, s.Section, s.Page, s.Text, s.Score))];

    public static TimingsResponse ToResponse(this AnswerTimings timings) => new(timings.RetrievalMs, timings.GenerationMs, timings.TotalMs);

    public static QueryResponse ToResponse(this AnswerResult result) => new(
        result.RequestId, result.Query, result.Answer, result.Sources.ToResponse(), result.Confidence, result.Timings.ToResponse(),
        result.GuardrailsTriggered, result.ConversationId, result.Cached);
}

using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rag.Core.Conversations;
using Rag.Core.Ingestion;
using Rag.Core.Retrieval;

namespace Rag.Core.Generation;

/// <summary>
/// Answers a question from the indexed documents: condense a follow-up, retrieve, keep the passages above the
/// threshold, ask the model with numbered, fenced sources, and stream the answer with its invalid citations removed.
/// With no relevant passage the answer says so and no model is called. Complete answers are cached per index
/// generation, and turns are stored in their conversation.
/// </summary>
public sealed partial class AnswerService(
    HybridRetriever retriever,
    ChunkStore chunks,
    IChatClient chatClient,
    QuestionCondenser condenser,
    ConversationStore conversations,
    AnswerCache cache,
    IOptions<AnswerOptions> options,
    ILogger<AnswerService> logger)
{
    public const string NotFoundAnswer = "The documents do not contain an answer to this question.";

    private static readonly JsonSerializerOptions SourcesJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Streams <see cref="AnswerSourcesEvent"/>, then <see cref="AnswerDeltaEvent"/>s, then one <see cref="AnswerDoneEvent"/>.</summary>
    /// <param name="ownerId">Whose conversation this is: the signed-in user, or null while the caller is anonymous.</param>
    /// <exception cref="ConversationNotFoundException">The conversation does not exist or belongs to someone else.</exception>
    public async IAsyncEnumerable<AnswerEvent> StreamAsync(
        AnswerRequest request, Guid? ownerId, string requestId, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Question);
        var total = Stopwatch.StartNew();
        var settings = options.Value;
        var maxResults = request.MaxResults ?? settings.DefaultMaxResults;
        var threshold = request.Threshold ?? settings.DefaultThreshold;

        var (conversationId, history) = await OpenConversationAsync(request, ownerId, cancellationToken);
        var question = history.Count == 0 ? request.Question : await condenser.CondenseAsync(request.Question, history, cancellationToken);
        var guardrails = new List<string>();
        if (PromptInjectionDetector.IsSuspicious(request.Question))
        {
            guardrails.Add(Guardrails.PromptInjectionInQuestion);
            Log.InjectionInQuestion(logger, requestId);
        }

        var model = chatClient.GetService<ChatClientMetadata>()?.DefaultModelId ?? "unknown";
        var cacheKey = await cache.CreateKeyAsync(question, Scope(request.Filters, maxResults, threshold), model, cancellationToken);
        if (await cache.GetAsync(cacheKey, cancellationToken) is { } cached)
        {
            yield return new AnswerSourcesEvent(cached.Sources, Merge(guardrails, cached.GuardrailsTriggered), conversationId, question);
            yield return new AnswerDeltaEvent(cached.Answer);
            await SaveTurnAsync(conversationId, request.Question, cached.Answer, cached.Sources, cancellationToken);
            yield return new AnswerDoneEvent(new AnswerResult(
                requestId, request.Question, cached.Answer, cached.Sources, cached.Confidence,
                new AnswerTimings(0, 0, total.ElapsedMilliseconds), Merge(guardrails, cached.GuardrailsTriggered), conversationId, Cached: true));
            yield break;
        }

        var retrieval = Stopwatch.StartNew();
        var hits = await retriever.SearchAsync(new SearchQuery(question, maxResults, request.Filters), cancellationToken);

        // An answer is cached for every replica and kept in its conversation, so its passages must still exist in
        // PostgreSQL: a replica's in-process passages learn of a deletion elsewhere only on the index event.
        var existing = hits.Count == 0 ? [] : await chunks.ExistingAsync([.. hits.Select(h => h.ChunkId)], cancellationToken);
        var relevant = hits.Where(h => existing.Contains(h.ChunkId) && (h.Relevance ?? h.Score) >= threshold).ToList();
        var retrievalMs = retrieval.ElapsedMilliseconds;
        var sources = relevant.Select((hit, i) => new AnswerSource(
            i + 1, hit.ChunkId, hit.DocumentId, hit.Title, hit.HeadingPath.Count > 0 ? string.Join(" > ", hit.HeadingPath) : null,
            hit.Page, hit.Text, Math.Round(hit.Relevance ?? hit.Score, 4))).ToList();
        if (relevant.Any(h => PromptInjectionDetector.IsSuspicious(h.Text)))
        {
            guardrails.Add(Guardrails.PromptInjectionInSource);
            Log.InjectionInSource(logger, requestId);
        }

        if (sources.Count == 0)
        {
            guardrails.Add(Guardrails.NoRelevantSources);
        }

        yield return new AnswerSourcesEvent(sources, guardrails, conversationId, question);

        var generation = Stopwatch.StartNew();
        var answer = new StringBuilder();
        var citations = new CitationFilter(sources.Count);
        if (sources.Count == 0)
        {
            // Nothing relevant: say so without asking a model, which could only guess.
            answer.Append(NotFoundAnswer);
            yield return new AnswerDeltaEvent(NotFoundAnswer);
        }
        else
        {
            var prompt = GroundedPrompt.Create(question, [.. sources.Select(s => new PromptSource(s.Number, s.Title, s.Section, s.Page, s.Text))]);
            await foreach (var update in chatClient.GetStreamingResponseAsync(prompt, new ChatOptions { Temperature = 0.1f }, cancellationToken))
            {
                var text = citations.Append(update.Text);
                if (text.Length > 0)
                {
                    answer.Append(text);
                    yield return new AnswerDeltaEvent(text);
                }
            }

            var rest = citations.Flush();
            if (rest.Length > 0)
            {
                answer.Append(rest);
                yield return new AnswerDeltaEvent(rest);
            }

            if (citations.Removed > 0)
            {
                guardrails.Add(Guardrails.CitationsRemoved);
            }
        }

        var generationMs = generation.ElapsedMilliseconds;
        var confidence = Confidence(sources, citations.Cited);
        var answerText = answer.ToString();
        await cache.SetAsync(cacheKey, new CachedAnswer(answerText, sources, confidence, guardrails), cancellationToken);
        await SaveTurnAsync(conversationId, request.Question, answerText, sources, cancellationToken);
        yield return new AnswerDoneEvent(new AnswerResult(
            requestId, request.Question, answerText, sources, confidence,
            new AnswerTimings(retrievalMs, generationMs, total.ElapsedMilliseconds), guardrails, conversationId, Cached: false));
    }

    /// <summary>The whole answer at once: the stream, collected.</summary>
    public async Task<AnswerResult> AnswerAsync(AnswerRequest request, Guid? ownerId, string requestId, CancellationToken cancellationToken = default)
    {
        await foreach (var answerEvent in StreamAsync(request, ownerId, requestId, cancellationToken))
        {
            if (answerEvent is AnswerDoneEvent done)
            {
                return done.Result;
            }
        }

        throw new InvalidOperationException("The answer stream ended without a result.");
    }

    private async Task<(Guid? Id, IReadOnlyList<ConversationMessage> History)> OpenConversationAsync(
        AnswerRequest request, Guid? ownerId, CancellationToken cancellationToken)
    {
        if (request.ConversationId is { } id)
        {
            var conversation = await conversations.GetAsync(id, ownerId, cancellationToken) ?? throw new ConversationNotFoundException(id);
            return (id, conversation.Messages);
        }

        if (!request.StartConversation)
        {
            return (null, []);
        }

        var created = await conversations.CreateAsync(ownerId, request.Question, cancellationToken);
        return (created.Id, []);
    }

    private async Task SaveTurnAsync(Guid? conversationId, string question, string answer, IReadOnlyList<AnswerSource> sources, CancellationToken cancellationToken)
    {
        if (conversationId is { } id)
        {
            await conversations.AddTurnAsync(id, question, answer, JsonSerializer.Serialize(sources, SourcesJson), cancellationToken);
        }
    }

    /// <summary>
    /// How well the sources support the answer: the mean relevance of the cited sources (of all sources when the
    /// answer cites none, halved, as nothing ties the answer to them); 0 without sources.
    /// </summary>
    private static double Confidence(IReadOnlyList<AnswerSource> sources, IReadOnlyCollection<int> cited)
    {
        if (sources.Count == 0)
        {
            return 0;
        }

        var value = cited.Count > 0
            ? sources.Where(s => cited.Contains(s.Number)).Average(s => s.Score)
            : sources.Average(s => s.Score) / 2;
        return Math.Round(Math.Clamp(value, 0, 1), 3);
    }

    private static string Scope(SearchFilters? filters, int maxResults, double threshold) =>
        JsonSerializer.Serialize(new { filters, maxResults, threshold });

    private static List<string> Merge(List<string> first, IReadOnlyList<string> second) => [.. first.Union(second)];

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Request {RequestId}: the question looks like a prompt-injection attempt; answering with unchanged instructions.")]
        public static partial void InjectionInQuestion(ILogger logger, string requestId);

        [LoggerMessage(2, LogLevel.Warning, "Request {RequestId}: a retrieved passage looks like a prompt-injection attempt; it stays fenced as data.")]
        public static partial void InjectionInSource(ILogger logger, string requestId);
    }
}

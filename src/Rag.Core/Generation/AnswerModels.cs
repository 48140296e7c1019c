using Rag.Core.Retrieval;

namespace Rag.Core.Generation;

/// <param name="MaxResults">How many passages the answer may draw on (1..20).</param>
/// <param name="Threshold">The least <see cref="SearchHit.Relevance"/> a passage needs to be used (0..1).</param>
/// <param name="ConversationId">Answer in the context of this conversation and store the turn in it.</param>
/// <param name="StartConversation">With no <paramref name="ConversationId"/>, start a conversation for this question.</param>
public sealed record AnswerRequest(
    string Question,
    int? MaxResults = null,
    double? Threshold = null,
    SearchFilters? Filters = null,
    Guid? ConversationId = null,
    bool StartConversation = false);

/// <param name="Number">What the answer cites as [n].</param>
public sealed record AnswerSource(int Number, Guid ChunkId, Guid DocumentId, string Title, string? Section, int? Page, string Text, double Score);

public sealed record AnswerTimings(long RetrievalMs, long GenerationMs, long TotalMs);

public sealed record AnswerResult(
    string RequestId,
    string Query,
    string Answer,
    IReadOnlyList<AnswerSource> Sources,
    double Confidence,
    AnswerTimings Timings,
    IReadOnlyList<string> GuardrailsTriggered,
    Guid? ConversationId,
    bool Cached);

/// <summary>What an answer stream yields: its sources, then deltas of text, then the complete result.</summary>
public abstract record AnswerEvent;

/// <param name="StandaloneQuestion">The question as retrieval saw it, after condensing a follow-up.</param>
public sealed record AnswerSourcesEvent(
    IReadOnlyList<AnswerSource> Sources, IReadOnlyList<string> GuardrailsTriggered, Guid? ConversationId, string StandaloneQuestion) : AnswerEvent;

public sealed record AnswerDeltaEvent(string Text) : AnswerEvent;

public sealed record AnswerDoneEvent(AnswerResult Result) : AnswerEvent;

public sealed class ConversationNotFoundException(Guid conversationId)
    : InvalidOperationException($"Conversation {conversationId} does not exist.")
{
    public Guid ConversationId { get; } = conversationId;
}

public static class Guardrails
{
    public const string PromptInjectionInQuestion = "prompt_injection_in_question";
    public const string PromptInjectionInSource = "prompt_injection_in_source";
    public const string CitationsRemoved = "invalid_citations_removed";
    public const string NoRelevantSources = "no_relevant_sources";
}

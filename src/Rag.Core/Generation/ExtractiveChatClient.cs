using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Rag.Core.Chunking;

namespace Rag.Core.Generation;

/// <summary>
/// The offline answerer: no model, no network. It reads the <see cref="GroundedPrompt"/> in the last user message
/// and quotes the source sentences that share the most key terms with the question, each with its citation [n].
/// It says it is extractive, because it is: it cannot paraphrase, combine or reason. Sentences that look like
/// instructions (<see cref="PromptInjectionDetector"/>) are never quoted. Thread-safe.
/// </summary>
public sealed partial class ExtractiveChatClient : IChatClient
{
    public const string ModelId = "rag-extractive-v1";
    public const string Preamble = "Extractive answer (sentences quoted from the sources, not generated):";
    public const string NothingFound = "The documents do not contain an answer to this question.";

    private const int MaxSentences = 3;
    private const double ContextTermWeight = 0.25;
    private const int MinSentenceWords = 8;

    private readonly ChatClientMetadata _metadata = new("rag-offline", providerUri: null, ModelId);

    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            text.Append(update.Text);
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text.ToString())) { ModelId = ModelId, FinishReason = ChatFinishReason.Stop };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var prompt = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
        var quotes = Answer(prompt);
        // One update per quoted sentence: a stream a client can render progressively, like a model's.
        var parts = quotes.Count == 0 ? [NothingFound] : (List<string>)[Preamble, .. quotes.Select(q => $"\n- \"{q.Sentence}\" [{q.Number}]")];
        foreach (var part in parts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, part) { ModelId = ModelId };
            await Task.Yield();
        }

        yield return new ChatResponseUpdate { ModelId = ModelId, FinishReason = ChatFinishReason.Stop };
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
    }

    internal static List<(int Number, string Sentence)> Answer(string prompt)
    {
        var questionAt = prompt.LastIndexOf(GroundedPrompt.QuestionPrefix, StringComparison.Ordinal);
        var question = questionAt >= 0 ? prompt[(questionAt + GroundedPrompt.QuestionPrefix.Length)..] : prompt;
        // A condensed follow-up's context words place it in the conversation; its own words say what it asks.
        var contextAt = question.IndexOf(QuestionCondenser.ContextMarker, StringComparison.Ordinal);
        var questionTerms = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var term in KeyTerms.Extract(contextAt >= 0 ? question[(contextAt + QuestionCondenser.ContextMarker.Length)..] : string.Empty))
        {
            questionTerms[term] = ContextTermWeight;
        }

        foreach (var term in KeyTerms.Extract(contextAt >= 0 ? question[..contextAt] : question))
        {
            questionTerms[term] = 1;
        }

        if (questionTerms.Count == 0)
        {
            return [];
        }

        var candidates = new List<(int Number, int Order, string Sentence, double Score, bool IsFragment)>();
        foreach (Match source in Source().Matches(questionAt >= 0 ? prompt[..questionAt] : prompt))
        {
            var number = int.Parse(source.Groups["n"].ValueSpan, System.Globalization.CultureInfo.InvariantCulture);
            // Paragraph by paragraph, so a heading line is not glued to the sentence under it.
            foreach (var range in Paragraphs(source.Groups["text"].Value).SelectMany(p => SentenceSplitter.Split(p).Select(r => p[r])))
            {
                var sentence = Whitespace().Replace(range.Trim(), " ");
                if (sentence.Length == 0 || PromptInjectionDetector.IsSuspicious(sentence))
                {
                    continue;
                }

                var terms = KeyTerms.Extract(sentence);
                var shared = terms.Sum(t => questionTerms.GetValueOrDefault(t));
                if (shared > 0)
                {
                    // Coverage of the question first; among equals, the denser (shorter) sentence; then source rank.
                    var score = shared + (shared / Math.Max(terms.Count, 1));
                    candidates.Add((number, candidates.Count, sentence, score, IsFragment(sentence)));
                }
            }
        }

        return [.. candidates
            .OrderBy(c => c.IsFragment).ThenByDescending(c => c.Score).ThenBy(c => c.Number).ThenBy(c => c.Order)
            .DistinctBy(c => c.Sentence)
            .Take(MaxSentences)
            .Select(c => (c.Number, c.Sentence))];
    }

    // A heading, title or caption ("Zorblax relay manual") matches a question's words densely but answers nothing:
    // short lines without a sentence's closing punctuation are quoted only when too few real sentences match.
    private static bool IsFragment(string sentence) =>
        sentence.Split(' ').Length < MinSentenceWords && sentence.TrimEnd('"', '\'', ')') is var trimmed && (trimmed.Length == 0 || !".!?:;".Contains(trimmed[^1]));

    private static IEnumerable<string> Paragraphs(string text) =>
        text.Split(["\n\n", "\r\n\r\n"], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"<source n=""(?<n>\d+)""(?: [a-z]+=""[^""\n]*"")*>\n(?<text>[\s\S]*?)\n</source>", RegexOptions.CultureInvariant)]
    private static partial Regex Source();
}

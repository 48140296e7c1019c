using Rag.Core.Embeddings;

namespace Rag.Core.Generation;

/// <summary>The content words of a text, lowercased and lightly stemmed as the offline embedder sees them.</summary>
internal static class KeyTerms
{
    public static List<string> Extract(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Span<char> buffer = stackalloc char[64];
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var isWordChar = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (isWordChar && start < 0)
            {
                start = i;
            }
            else if (!isWordChar && start >= 0)
            {
                var word = text.AsSpan(start, Math.Min(i - start, buffer.Length));
                start = -1;
                var length = word.ToLowerInvariant(buffer);
                var lower = buffer[..length];
                if (length < 2 || StopWords.IsStopWord(lower))
                {
                    continue;
                }

                var term = LightStemmer.Stem(lower).ToString();
                if (seen.Add(term))
                {
                    terms.Add(term);
                }
            }
        }

        return terms;
    }
}

namespace Rag.Core.Chunking;

/// <summary>
/// Splits prose into sentences: a '.', '!' or '?' (optionally followed by closing quotes or brackets) ends a
/// sentence when whitespace and then a capital letter, a digit or the end of the text follows. A period after
/// a known abbreviation, an initial or a dotted abbreviation such as "e.g." does not; "3.14" never matches
/// because no whitespace follows its period.
/// </summary>
internal static class SentenceSplitter
{
    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "fig", "figs", "no", "nos", "vol",
        "pp", "p", "ch", "sec", "approx", "dept", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr",
        "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "eq", "ref", "cf", "al",
    };

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> AbbreviationLookup =
        Abbreviations.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Sentence ranges of <paramref name="text"/>, trimmed of surrounding whitespace, in order.</summary>
    public static List<Range> Split(ReadOnlySpan<char> text)
    {
        var sentences = new List<Range>();
        var start = SkipWhitespace(text, 0);
        for (var i = start; i < text.Length; i++)
        {
            if (text[i] is not ('.' or '!' or '?'))
            {
                continue;
            }

            var end = i + 1;
            while (end < text.Length && text[end] is '.' or '!' or '?' or '"' or '\'' or ')' or ']' or '\u201D' or '\u2019')
            {
                end++;
            }

            var next = SkipWhitespace(text, end);
            var endsText = next == text.Length;
            var followedBySentenceStart = next > end && next < text.Length
                && (char.IsUpper(text[next]) || char.IsAsciiDigit(text[next]) || text[next] is '"' or '\u201C' or '(' or '[');
            if (!endsText && !followedBySentenceStart)
            {
                i = end - 1;
                continue;
            }

            if (text[i] == '.' && end == i + 1 && IsAbbreviation(text, i))
            {
                continue;
            }

            sentences.Add(start..end);
            start = next;
            i = next - 1;
        }

        var trimmedEnd = text.Length;
        while (trimmedEnd > start && char.IsWhiteSpace(text[trimmedEnd - 1]))
        {
            trimmedEnd--;
        }

        if (trimmedEnd > start)
        {
            sentences.Add(start..trimmedEnd);
        }

        return sentences;
    }

    private static bool IsAbbreviation(ReadOnlySpan<char> text, int periodIndex)
    {
        var wordStart = periodIndex;
        while (wordStart > 0 && !char.IsWhiteSpace(text[wordStart - 1]) && text[wordStart - 1] is not ('(' or '"'))
        {
            wordStart--;
        }

        var word = text[wordStart..periodIndex];
        if (word.IsEmpty)
        {
            return false;
        }

        // "e.g", "i.e", "U.S": an inner period marks a dotted abbreviation; a lone letter is an initial.
        return word.Contains('.') || (word.Length == 1 && char.IsLetter(word[0])) || AbbreviationLookup.Contains(word);
    }

    private static int SkipWhitespace(ReadOnlySpan<char> text, int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position]))
        {
            position++;
        }

        return position;
    }
}

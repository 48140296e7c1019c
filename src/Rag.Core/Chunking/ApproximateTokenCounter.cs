namespace Rag.Core.Chunking;

/// <summary>
/// Counts tokens approximately the way GPT-style BPE tokenizers do, without a vocabulary (no tokenizer
/// library can be restored here). Whitespace is free; a word of up to 7 letters is one token and a longer
/// one costs one token per 4 letters; digits cost one token per 3; every other character is one token.
/// English prose lands within roughly 10–20% of cl100k counts; treat the result as an estimate.
/// </summary>
public static class ApproximateTokenCounter
{
    private const int ShortWordLength = 7;
    private const int LongWordCharsPerToken = 4;
    private const int DigitsPerToken = 3;

    public static int Count(ReadOnlySpan<char> text)
    {
        var count = 0;
        var position = 0;
        while (position < text.Length)
        {
            var (length, tokens) = NextRun(text[position..]);
            count += tokens;
            position += length;
        }

        return count;
    }

    /// <summary>
    /// The end positions (exclusive, relative to <paramref name="text"/>) of each token, in order.
    /// Cutting text at these positions never makes the pieces' counts add up to less than their parts counted separately.
    /// </summary>
    internal static void AppendTokenEnds(ReadOnlySpan<char> text, List<int> tokenEnds)
    {
        var position = 0;
        while (position < text.Length)
        {
            var (length, tokens) = NextRun(text[position..]);
            var kind = Classify(text[position]);
            if (kind == CharKind.Whitespace)
            {
                position += length;
                continue;
            }

            var step = kind switch
            {
                CharKind.Letter => tokens == 1 ? length : LongWordCharsPerToken,
                CharKind.Digit => DigitsPerToken,
                _ => 1,
            };
            for (var end = position + step; ; end += step)
            {
                if (end >= position + length)
                {
                    tokenEnds.Add(position + length);
                    break;
                }

                tokenEnds.Add(end);
            }

            position += length;
        }
    }

    // A run is a maximal stretch of one kind of character (a single character for punctuation).
    private static (int Length, int Tokens) NextRun(ReadOnlySpan<char> text)
    {
        var kind = Classify(text[0]);
        if (kind == CharKind.Other)
        {
            var length = char.IsHighSurrogate(text[0]) && text.Length > 1 && char.IsLowSurrogate(text[1]) ? 2 : 1;
            return (length, 1);
        }

        var runLength = 1;
        while (runLength < text.Length && Classify(text[runLength]) == kind)
        {
            runLength++;
        }

        var tokens = kind switch
        {
            CharKind.Whitespace => 0,
            CharKind.Digit => (runLength + DigitsPerToken - 1) / DigitsPerToken,
            _ => runLength <= ShortWordLength ? 1 : (runLength + LongWordCharsPerToken - 1) / LongWordCharsPerToken,
        };
        return (runLength, tokens);
    }

    private static CharKind Classify(char c) =>
        char.IsWhiteSpace(c) ? CharKind.Whitespace
        : char.IsAsciiDigit(c) ? CharKind.Digit
        : char.IsLetter(c) ? CharKind.Letter
        : CharKind.Other;

    private enum CharKind
    {
        Whitespace,
        Letter,
        Digit,
        Other,
    }
}

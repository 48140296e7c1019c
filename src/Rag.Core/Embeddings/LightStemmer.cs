namespace Rag.Core.Embeddings;

/// <summary>
/// A deliberately small English suffix stripper (plurals, -ing, -ed, -ly, final -e/-y) so inflections of a
/// word share a unigram feature. It is not Porter; it only has to be consistent with itself.
/// </summary>
internal static class LightStemmer
{
    private const int MinStemLength = 3;

    /// <summary>Stems <paramref name="word"/> (lowercase) in place and returns the stem, a prefix of it.</summary>
    public static ReadOnlySpan<char> Stem(Span<char> word)
    {
        var length = word.Length;
        if (length <= MinStemLength || !char.IsAsciiLetterLower(word[^1]))
        {
            return word;
        }

        var stem = word[..length];
        if (stem.EndsWith("sses"))
        {
            length -= 2;
        }
        else if (stem.EndsWith("ies"))
        {
            length -= 2;
        }
        else if (stem.EndsWith('s') && !stem.EndsWith("ss") && !stem.EndsWith("us") && !stem.EndsWith("is"))
        {
            length -= 1;
        }

        stem = word[..length];
        if (stem.EndsWith("ing") && length - 3 >= MinStemLength)
        {
            length = UndoubleConsonant(word, length - 3);
        }
        else if (stem.EndsWith("ed") && length - 2 >= MinStemLength)
        {
            length = UndoubleConsonant(word, length - 2);
        }
        else if (stem.EndsWith("ly") && length - 2 >= MinStemLength)
        {
            length -= 2;
        }

        if (length > MinStemLength && word[length - 1] == 'e')
        {
            length--;
        }
        else if (length > MinStemLength && word[length - 1] == 'y')
        {
            word[length - 1] = 'i';
        }

        return word[..length];
    }

    // "running" -> "run", "stopped" -> "stop"; "falling" keeps its "ll".
    private static int UndoubleConsonant(Span<char> word, int length) =>
        length >= 2 && word[length - 1] == word[length - 2] && word[length - 1] is not ('l' or 's' or 'z' or 'a' or 'e' or 'i' or 'o' or 'u')
            ? length - 1
            : length;
}

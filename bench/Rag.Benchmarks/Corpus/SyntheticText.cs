using System.Text;

namespace Rag.Benchmarks.Corpus;

/// <summary>
/// Seeded pseudo-English: sentences of invented words drawn with a Zipf-like skew from a fixed vocabulary, so
/// texts share frequent words and differ in rare ones the way prose does. Deterministic for a seed.
/// </summary>
internal sealed class SyntheticText
{
    private static readonly string[] Syllables =
    [
        "ra", "to", "mi", "ken", "dor", "al", "ve", "sun", "pli", "ca", "tre", "ob", "nu", "lis", "gar", "em",
        "fo", "zi", "qua", "ber", "in", "os", "ple", "dra", "mon", "ti", "ex", "ur", "sca", "vel",
    ];

    private readonly Random _random;
    private readonly string[] _vocabulary;

    public SyntheticText(int seed, int vocabularySize = 5000)
    {
        _random = new Random(seed);
        var vocabularyRandom = new Random(12345);
        _vocabulary = Enumerable.Range(0, vocabularySize).Select(_ => Word(vocabularyRandom)).ToArray();
    }

    public string Sentence()
    {
        var builder = new StringBuilder();
        var words = _random.Next(8, 21);
        for (var i = 0; i < words; i++)
        {
            var word = _vocabulary[ZipfIndex()];
            builder.Append(i == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
            builder.Append(i == words - 1 ? ". " : " ");
        }

        return builder.ToString();
    }

    /// <summary>Whole sentences until the text has at least <paramref name="approximateTokens"/> tokens.</summary>
    public string Text(int approximateTokens)
    {
        var builder = new StringBuilder();
        while (Rag.Core.Chunking.ApproximateTokenCounter.Count(builder.ToString()) < approximateTokens)
        {
            builder.Append(Sentence());
        }

        return builder.ToString().TrimEnd();
    }

    // Inverse-CDF sampling of a 1/x-shaped distribution: low indexes are far more frequent.
    private int ZipfIndex() => (int)Math.Min(_vocabulary.Length - 1, Math.Exp(_random.NextDouble() * Math.Log(_vocabulary.Length)) - 1);

    private static string Word(Random random)
    {
        var syllables = random.Next(1, 4);
        var builder = new StringBuilder();
        for (var i = 0; i < syllables; i++)
        {
            builder.Append(Syllables[random.Next(Syllables.Length)]);
        }

        return builder.ToString();
    }
}

namespace Rag.Core.Embeddings;

internal enum FeatureKind : ulong
{
    Unigram = 1,
    Bigram = 2,
    Trigram = 3,
}

/// <summary>
/// Stable 64-bit feature hashes (FNV-1a, then a SplitMix64 finaliser so the low bits mix well). The two top
/// bits carry the feature's kind. They must never change: stored vectors depend on them ("rag-offline-hash-v1").
/// </summary>
internal static class FeatureHashing
{
    private const ulong OffsetBasis = 14695981039346656037;
    private const ulong Prime = 1099511628211;
    private const ulong KindMask = 3UL << 62;

    public static ulong Hash(ReadOnlySpan<char> text, FeatureKind kind)
    {
        var hash = OffsetBasis ^ (ulong)kind;
        foreach (var c in text)
        {
            hash = (hash ^ c) * Prime;
        }

        return WithKind(Mix(hash), kind);
    }

    public static ulong Combine(ulong first, ulong second) =>
        WithKind(Mix((first * 31) ^ Mix(second)), FeatureKind.Bigram);

    public static FeatureKind KindOf(ulong feature) => (FeatureKind)(feature >> 62);

    private static ulong WithKind(ulong hash, FeatureKind kind) => (hash & ~KindMask) | ((ulong)kind << 62);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}

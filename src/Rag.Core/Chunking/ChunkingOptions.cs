namespace Rag.Core.Chunking;

/// <summary>
/// How documents are cut into chunks; each collection carries its own (collections.chunk_size_tokens and
/// chunk_overlap_tokens, 512 and 64 by default). Token counts are <see cref="ApproximateTokenCounter"/> estimates.
/// </summary>
public sealed record ChunkingOptions
{
    public static ChunkingOptions Default { get; } = new();

    public int MaxTokens { get; init; } = 512;

    /// <summary>At most this many tokens of trailing sentences of a chunk are repeated at the start of the next chunk in the same section.</summary>
    public int OverlapTokens { get; init; } = 64;

    /// <summary>Throws when these options cannot produce chunks.</summary>
    public void EnsureValid()
    {
        if (MaxTokens is < 16 or > 8192)
        {
            throw new ArgumentException($"MaxTokens must be between 16 and 8192, not {MaxTokens}.", nameof(MaxTokens));
        }

        // Overlap below half a chunk guarantees every chunk brings new text.
        if (OverlapTokens < 0 || OverlapTokens >= MaxTokens / 2)
        {
            throw new ArgumentException(
                $"OverlapTokens must be at least 0 and less than half of MaxTokens ({MaxTokens}), not {OverlapTokens}.", nameof(OverlapTokens));
        }
    }
}

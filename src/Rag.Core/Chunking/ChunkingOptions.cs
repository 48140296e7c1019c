using System.ComponentModel.DataAnnotations;

namespace Rag.Core.Chunking;

/// <summary>
/// How documents are cut into chunks; a collection may carry its own. Token counts are
/// <see cref="ApproximateTokenCounter"/> estimates.
/// </summary>
/// <remarks>
/// Configuration shape (the defaults for collections without their own):
/// <code>
/// "Chunking": { "MaxTokens": 512, "OverlapTokens": 64 }
/// </code>
/// </remarks>
public sealed record ChunkingOptions
{
    public const string SectionName = "Chunking";

    public static ChunkingOptions Default { get; } = new();

    [Range(16, 8192)]
    public int MaxTokens { get; init; } = 512;

    /// <summary>At most this many tokens of trailing sentences of a chunk are repeated at the start of the next chunk in the same section.</summary>
    [Range(0, 4096)]
    public int OverlapTokens { get; init; } = 64;

    /// <summary>Throws when the options cannot produce chunks (for options that did not come through validated configuration).</summary>
    public void Validate()
    {
        if (MaxTokens < 16)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "MaxTokens must be at least 16.");
        }

        if (OverlapTokens < 0 || OverlapTokens >= MaxTokens / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(OverlapTokens), OverlapTokens, "OverlapTokens must be at least 0 and less than half of MaxTokens.");
        }
    }
}

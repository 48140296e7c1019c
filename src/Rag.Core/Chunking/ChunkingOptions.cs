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
public sealed record ChunkingOptions : IValidatableObject
{
    public const string SectionName = "Chunking";

    public static ChunkingOptions Default { get; } = new();

    public int MaxTokens { get; init; } = 512;

    /// <summary>At most this many tokens of trailing sentences of a chunk are repeated at the start of the next chunk in the same section.</summary>
    public int OverlapTokens { get; init; } = 64;

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext) =>
        Problems().Select(problem => new ValidationResult(problem.Message, [problem.Member]));

    /// <summary>Throws when these options cannot produce chunks (for options that did not come through validated configuration).</summary>
    public void EnsureValid()
    {
        foreach (var (member, message) in Problems())
        {
            throw new ArgumentException(message, member);
        }
    }

    private IEnumerable<(string Member, string Message)> Problems()
    {
        if (MaxTokens is < 16 or > 8192)
        {
            yield return (nameof(MaxTokens), $"MaxTokens must be between 16 and 8192, not {MaxTokens}.");
        }

        // Overlap below half a chunk guarantees every chunk brings new text.
        if (OverlapTokens < 0 || OverlapTokens >= MaxTokens / 2)
        {
            yield return (nameof(OverlapTokens), $"OverlapTokens must be at least 0 and less than half of MaxTokens ({MaxTokens}), not {OverlapTokens}.");
        }
    }
}

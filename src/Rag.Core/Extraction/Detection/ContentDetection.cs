namespace Rag.Core.Extraction.Detection;

public enum DetectionOutcome
{
    /// <summary>The content is a format we extract; <see cref="ContentDetection.ContentType"/> names it.</summary>
    Supported,

    /// <summary>The content is a format we do not extract.</summary>
    Unsupported,

    /// <summary>The file name claims one format and the content is another.</summary>
    Mismatch,

    /// <summary>There is no content at all.</summary>
    Empty,
}

/// <param name="ContentType">The detected MIME type when <paramref name="Outcome"/> is Supported, otherwise null.</param>
/// <param name="Reason">Why the content is unsupported, mismatched or empty, in words a person understands.</param>
public sealed record ContentDetection(DetectionOutcome Outcome, string? ContentType, string? Reason)
{
    internal static ContentDetection Supported(string contentType) => new(DetectionOutcome.Supported, contentType, null);

    internal static ContentDetection Unsupported(string reason) => new(DetectionOutcome.Unsupported, null, reason);

    internal static ContentDetection Mismatch(string reason) => new(DetectionOutcome.Mismatch, null, reason);
}

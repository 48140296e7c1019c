namespace Rag.Core.Extraction;

/// <summary>
/// A document's text with its structure, as every extractor produces it and the chunker consumes it.
/// The document's full text is its blocks' texts joined by a blank line ("\n\n"); character offsets of
/// chunks index into that text.
/// </summary>
public sealed record ExtractedDocument(string? Title, IReadOnlyList<TextBlock> Blocks);

/// <param name="HeadingPath">The headings this block sits under, outermost first. A heading block's own path ends with itself.</param>
/// <param name="Page">1-based page number for paginated formats (PDF), otherwise null.</param>
public sealed record TextBlock(BlockKind Kind, string Text, IReadOnlyList<string> HeadingPath, int? Page = null);

public enum BlockKind
{
    Heading,
    Paragraph,
    ListItem,
    Table,
    Code,
}

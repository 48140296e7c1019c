namespace Rag.Core.Chunking;

/// <summary>A piece of a document small enough to embed and to quote.</summary>
/// <param name="Ordinal">0-based position among the document's chunks.</param>
/// <param name="Text">Exactly <c>fullText[StartChar..EndChar]</c> of the document's full text (see <see cref="Extraction.ExtractedDocument"/>), overlap included.</param>
/// <param name="HeadingPath">The headings of the section the chunk belongs to, outermost first.</param>
/// <param name="Page">The first page the chunk covers, for paginated formats.</param>
/// <param name="OverlapChars">How many leading characters of <paramref name="Text"/> are the end of the previous chunk repeated (0 when none); new content follows them.</param>
/// <param name="TokenCount">Approximate token count of <paramref name="Text"/>.</param>
public sealed record DocumentChunk(
    int Ordinal,
    string Text,
    IReadOnlyList<string> HeadingPath,
    int? Page,
    int StartChar,
    int EndChar,
    int OverlapChars,
    int TokenCount);

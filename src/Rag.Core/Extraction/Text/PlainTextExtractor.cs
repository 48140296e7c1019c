namespace Rag.Core.Extraction.Text;

/// <summary>Plain text: paragraphs are separated by blank lines.</summary>
internal sealed class PlainTextExtractor : IDocumentExtractor
{
    public ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionOptions options, CancellationToken cancellationToken)
    {
        var text = TextDecoding.Decode(content.Span).ReplaceLineEndings("\n");
        var blocks = new BlockCollector(options);
        foreach (var paragraph in ParagraphSplitter.Split(text))
        {
            cancellationToken.ThrowIfCancellationRequested();
            blocks.Add(BlockKind.Paragraph, paragraph);
        }

        return blocks.ToDocument(null);
    }
}

internal static class ParagraphSplitter
{
    /// <summary>Splits at lines that are empty or only whitespace.</summary>
    public static IEnumerable<string> Split(string text)
    {
        var current = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                if (current.Count > 0)
                {
                    yield return string.Join('\n', current);
                    current.Clear();
                }

                continue;
            }

            current.Add(line);
        }

        if (current.Count > 0)
        {
            yield return string.Join('\n', current);
        }
    }
}

using Rag.Core.Extraction.Docx;
using Rag.Core.Extraction.Html;
using Rag.Core.Extraction.Markdown;
using Rag.Core.Extraction.Pdf;
using Rag.Core.Extraction.Data;
using Rag.Core.Extraction.Text;

namespace Rag.Core.Extraction;

/// <summary>
/// The one entry point for turning a document's bytes into an <see cref="ExtractedDocument"/>; the content
/// type comes from <see cref="Detection.ContentTypeDetector"/>.
/// </summary>
public static class DocumentExtraction
{
    private static readonly Dictionary<string, IDocumentExtractor> Extractors = new(StringComparer.OrdinalIgnoreCase)
    {
        [ContentTypes.PlainText] = new PlainTextExtractor(),
        [ContentTypes.Markdown] = new MarkdownExtractor(),
        [ContentTypes.Html] = new HtmlExtractor(),
        [ContentTypes.Pdf] = new PdfExtractor(),
        [ContentTypes.Docx] = new DocxExtractor(),
        [ContentTypes.Csv] = new CsvExtractor(),
        [ContentTypes.Json] = new JsonExtractor(),
    };

    /// <exception cref="ExtractionException">The content is damaged, hostile, too large or of an unsupported type.</exception>
    public static Task<ExtractedDocument> ExtractAsync(string contentType, ReadOnlyMemory<byte> content, ExtractionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contentType);
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        if (!Extractors.TryGetValue(contentType, out var extractor))
        {
            throw new ExtractionException($"Documents of type '{contentType}' are not supported.");
        }

        if (content.IsEmpty)
        {
            throw new ExtractionException("The document is empty.");
        }

        if (content.Length > options.MaxInputBytes)
        {
            throw new ExtractionException($"The document is {content.Length:N0} bytes, more than the limit of {options.MaxInputBytes:N0}.");
        }

        return Task.FromResult(extractor.Extract(content, options, cancellationToken));
    }

    /// <inheritdoc cref="ExtractAsync(string, ReadOnlyMemory{byte}, ExtractionOptions, CancellationToken)"/>
    public static async Task<ExtractedDocument> ExtractAsync(string contentType, Stream content, ExtractionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(options);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await content.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > options.MaxInputBytes)
            {
                throw new ExtractionException($"The document is larger than the limit of {options.MaxInputBytes:N0} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        return await ExtractAsync(contentType, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), options, cancellationToken).ConfigureAwait(false);
    }
}

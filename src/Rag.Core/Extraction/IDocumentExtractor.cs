namespace Rag.Core.Extraction;

/// <summary>Extracts one format. Extraction is CPU-bound, so it runs synchronously and checks cancellation as it goes.</summary>
internal interface IDocumentExtractor
{
    ExtractedDocument Extract(ReadOnlyMemory<byte> content, ExtractionOptions options, CancellationToken cancellationToken);
}

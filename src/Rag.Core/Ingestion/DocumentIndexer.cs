using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rag.Core.Chunking;
using Rag.Core.Documents;
using Rag.Core.Extraction;
using Rag.Core.Jobs;
using Rag.Core.Telemetry;
using Rag.Core.VectorIndex;

namespace Rag.Core.Ingestion;

/// <summary>
/// Turns one claimed job into searchable chunks: extract → chunk → embed → (shared vector index) → store.
/// Idempotent: chunk ids are deterministic and the store replaces the document's chunks in one transaction,
/// so a job run twice after a crash leaves exactly the chunks of one clean run.
/// </summary>
public sealed partial class DocumentIndexer(
    DocumentStore documents,
    ChunkStore chunks,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    IndexEvents indexEvents,
    IOptions<ExtractionOptions> extractionOptions,
    IOptions<IngestionOptions> ingestionOptions,
    ILogger<DocumentIndexer> logger,
    ISharedVectorIndex? sharedIndex = null)
{
    public async Task<ChunkWriteOutcome> IndexAsync(ClaimedJob job, string workerId, IProgress<float> progress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(progress);

        var document = await documents.GetForIndexingAsync(job.DocumentId, cancellationToken);
        if (document is null)
        {
            return ChunkWriteOutcome.Superseded;
        }

        ExtractedDocument extracted;
        using (var stage = RagMetrics.StartStage("extract"))
        {
            stage.Activity?.SetTag("rag.document.content_type", document.ContentType);
            try
            {
                extracted = await DocumentExtraction.ExtractAsync(document.ContentType, document.Content, extractionOptions.Value, cancellationToken);
            }
            catch (ExtractionException error)
            {
                throw new UnprocessableDocumentException(error.Message, error);
            }
        }

        IReadOnlyList<DocumentChunk> documentChunks;
        using (var stage = RagMetrics.StartStage("chunk"))
        {
            documentChunks = DocumentChunker.Chunk(
                extracted, new ChunkingOptions { MaxTokens = document.ChunkSizeTokens, OverlapTokens = document.ChunkOverlapTokens });
            stage.Activity?.SetTag("rag.chunk.count", documentChunks.Count);
        }

        if (documentChunks.Count == 0)
        {
            throw new UnprocessableDocumentException("No text could be extracted from the document (is it a scanned image?).");
        }

        progress.Report(0.2f);
        var title = extracted.Title ?? document.Title;
        var model = embedder.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId ?? "unknown";
        List<ReadOnlyMemory<float>> embeddings;
        using (var stage = RagMetrics.StartStage("embed"))
        {
            stage.Activity?.SetTag("gen_ai.request.model", model);
            embeddings = await EmbedAsync(title, documentChunks, progress, cancellationToken);
        }

        if (sharedIndex is not null)
        {
            using var stage = RagMetrics.StartStage("index");
            await sharedIndex.EnsureCreatedAsync(model, embeddings[0].Length, cancellationToken);
            var points = documentChunks
                .Select((chunk, i) => new VectorPoint(ChunkIds.Create(document.Id, document.Version, chunk.Ordinal), document.Id, document.CollectionId, document.Tags, embeddings[i]))
                .ToList();
            await sharedIndex.ReplaceDocumentAsync(document.Id, points, cancellationToken);
        }

        progress.Report(0.9f);
        ChunkWriteOutcome outcome;
        using (RagMetrics.StartStage("store"))
        {
            outcome = await chunks.ReplaceAndCompleteAsync(job, workerId, document.Version, title, documentChunks, embeddings, model, cancellationToken);
        }

        if (outcome == ChunkWriteOutcome.Written)
        {
            RagMetrics.RecordDocumentIndexed(documentChunks.Count);
            Log.Indexed(logger, document.Id, document.Version, documentChunks.Count);
            // The job is complete from here on: the worker's heartbeat now sees it finished and cancels the token,
            // which must not turn a written job into a cancelled one. Redis' command timeout bounds the publish.
            await indexEvents.PublishChangedAsync(document.Id, CancellationToken.None);
        }

        return outcome;
    }

    private async Task<List<ReadOnlyMemory<float>>> EmbedAsync(
        string title, IReadOnlyList<DocumentChunk> documentChunks, IProgress<float> progress, CancellationToken cancellationToken)
    {
        var batchSize = ingestionOptions.Value.EmbeddingBatchSize;
        var embeddings = new List<ReadOnlyMemory<float>>(documentChunks.Count);
        for (var start = 0; start < documentChunks.Count; start += batchSize)
        {
            var inputs = documentChunks.Skip(start).Take(batchSize)
                .Select(chunk => EmbeddingInput(title, chunk.HeadingPath, chunk.Text))
                .ToList();
            var generated = await embedder.GenerateAsync(inputs, cancellationToken: cancellationToken);
            embeddings.AddRange(generated.Select(e => e.Vector));
            progress.Report(0.2f + (0.7f * embeddings.Count / documentChunks.Count));
        }

        return embeddings;
    }

    /// <summary>
    /// What is embedded for a chunk: its text under its title and heading path, since a passage often only makes
    /// sense under its heading. Rebuilds embed exactly this again.
    /// </summary>
    internal static string EmbeddingInput(string title, IReadOnlyList<string> headingPath, string text) =>
        string.Join(" > ", [title, .. headingPath]) + "\n" + text;

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Indexed document {DocumentId} version {Version}: {ChunkCount} chunks")]
        public static partial void Indexed(ILogger logger, Guid documentId, int version, int chunkCount);
    }
}

/// <summary>The document itself cannot be processed (damaged, empty, unsupported): retrying cannot help.</summary>
public sealed class UnprocessableDocumentException(string message, Exception? innerException = null) : Exception(message, innerException);

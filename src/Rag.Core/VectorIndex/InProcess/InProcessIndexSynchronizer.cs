using System.Threading.Channels;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rag.Core.Ingestion;
using Rag.Core.Redis;
using Rag.Core.Storage;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// Keeps this replica's in-process indexes (vectors, full-text lexemes and passages) equal to the chunks in PostgreSQL: loads
/// them all at start, refreshes a document when an index event names it, and reconciles periodically so that a
/// missed event (pub/sub is not durable) only delays. Readiness stays false until the first load is done.
/// </summary>
public sealed partial class InProcessIndexSynchronizer(
    InProcessVectorIndex index,
    InProcessTextIndex textIndex,
    InProcessPassageStore passages,
    ChunkStore chunks,
    IndexEvents indexEvents,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    IDatabaseMigrationStatus migrations,
    ILogger<InProcessIndexSynchronizer> logger) : BackgroundService, IHealthCheck
{
    private static readonly TimeSpan ReconcileInterval = TimeSpan.FromSeconds(15);

    private readonly Channel<Guid> _changed = Channel.CreateUnbounded<Guid>();

    // Each loaded document's chunk count and version, to compare with PostgreSQL's when reconciling: a re-index keeps
    // the count but not the version.
    private readonly Dictionary<Guid, DocumentPoints> _loaded = [];

    // One writer at a time: a refresh that read a document's rows before its deletion must not put them back after
    // ForgetDocumentAsync removed them.
    private readonly SemaphoreSlim _writing = new(1, 1);
    private volatile bool _isLoaded;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_isLoaded && index.Describe() is var loaded
            ? HealthCheckResult.Healthy($"in-process index: {loaded.Count} vectors of {loaded.Model} ({loaded.Dimension} dimensions)")
            : HealthCheckResult.Unhealthy("The vector index is still loading"));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitUntilAppliedAsync(stoppingToken);
        var metadata = embedder.GetService<EmbeddingGeneratorMetadata>();
        var model = metadata?.DefaultModelId ?? throw new InvalidOperationException("The embedding generator names no model.");
        var dimension = metadata.DefaultModelDimensions ?? throw new InvalidOperationException("The embedding generator names no dimension.");

        StartSubscribing(stoppingToken);
        await LoadAllAsync(model, dimension, stoppingToken);

        // Index events wake the loop at once; the timer reconciles with PostgreSQL for the events pub/sub lost.
        using var timer = new PeriodicTimer(ReconcileInterval);
        var changed = _changed.Reader.WaitToReadAsync(stoppingToken).AsTask();
        var tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
        while (!stoppingToken.IsCancellationRequested)
        {
            var woken = await Task.WhenAny(changed, tick);
            try
            {
                if (woken == tick)
                {
                    await tick;
                    tick = timer.WaitForNextTickAsync(stoppingToken).AsTask();
                    await ReconcileAsync(model, stoppingToken);
                }
                else
                {
                    await changed;
                    changed = _changed.Reader.WaitToReadAsync(stoppingToken).AsTask();
                }

                while (_changed.Reader.TryRead(out var documentId))
                {
                    await RefreshAsync(model, documentId, stoppingToken);
                }
            }
            catch (Exception error) when (error is Npgsql.NpgsqlException or TimeoutException)
            {
                Log.SyncFailed(logger, error.Message);
            }
        }
    }

    /// <summary>
    /// Removes a deleted document from this replica's indexes and passages at once, rather than on its index event.
    /// Waits for a refresh in progress, which may have read the document's rows before they were deleted.
    /// </summary>
    public async Task ForgetDocumentAsync(Guid documentId)
    {
        await _writing.WaitAsync();
        try
        {
            // The passages first: without them nothing of the document's text can be returned.
            passages.DeleteDocument(documentId);
            textIndex.DeleteDocument(documentId);
            await index.DeleteDocumentAsync(documentId);
        }
        finally
        {
            _writing.Release();
        }
    }

    // Redis may be down at start: keep trying in the background; reconciliation covers the gap meanwhile.
    private void StartSubscribing(CancellationToken stoppingToken) => _ = Task.Run(async () =>
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var subscription = await indexEvents.SubscribeAsync(id => _changed.Writer.TryWrite(id), stoppingToken);
                stoppingToken.Register(() => _ = subscription.DisposeAsync().AsTask());
                return;
            }
            catch (RedisException error)
            {
                Log.SubscribeFailed(logger, error.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }, stoppingToken);

    private async Task LoadAllAsync(string model, int dimension, CancellationToken stoppingToken)
    {
        while (true)
        {
            await _writing.WaitAsync(stoppingToken);
            try
            {
                _loaded.Clear();
                var textEntries = new List<TextIndexEntry>();
                var passageEntries = new List<StoredPassage>();
                var loaded = await index.LoadAsync(model, dimension, Counting(chunks.ReadAllIndexedChunksAsync(model, stoppingToken), textEntries, passageEntries), stoppingToken);
                textIndex.Load(textEntries);
                passages.Load(passageEntries);
                _isLoaded = true;
                Log.Loaded(logger, loaded, model);
                return;
            }
            catch (Exception error) when (error is Npgsql.NpgsqlException or TimeoutException)
            {
                Log.SyncFailed(logger, error.Message);
            }
            finally
            {
                _writing.Release();
            }

            await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
        }
    }

    // Counts each document's chunks and sets their text entries and passages aside while the vectors stream into the index.
    private async IAsyncEnumerable<VectorPoint> Counting(IAsyncEnumerable<IndexedChunk> chunks, List<TextIndexEntry> textEntries, List<StoredPassage> passageEntries)
    {
        await foreach (var chunk in chunks)
        {
            _loaded[chunk.Point.DocumentId] = new DocumentPoints(_loaded.GetValueOrDefault(chunk.Point.DocumentId).Count + 1, chunk.DocumentVersion);
            textEntries.Add(chunk.ToTextEntry());
            passageEntries.Add(chunk.Passage);
            yield return chunk.Point;
        }
    }

    private async Task RefreshAsync(string model, Guid documentId, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken);
        try
        {
            var indexed = new List<IndexedChunk>();
            await foreach (var chunk in chunks.ReadIndexedChunksAsync(model, documentId, cancellationToken))
            {
                indexed.Add(chunk);
            }

            if (indexed.Count == 0)
            {
                passages.DeleteDocument(documentId);
                textIndex.DeleteDocument(documentId);
                await index.DeleteDocumentAsync(documentId, cancellationToken);
                _loaded.Remove(documentId);
            }
            else
            {
                await index.ReplaceDocumentAsync(documentId, [.. indexed.Select(chunk => chunk.Point)], cancellationToken);
                textIndex.ReplaceDocument(documentId, [.. indexed.Select(chunk => chunk.ToTextEntry())]);
                passages.ReplaceDocument(documentId, [.. indexed.Select(chunk => chunk.Passage)]);
                _loaded[documentId] = new DocumentPoints(indexed.Count, indexed.Max(chunk => chunk.DocumentVersion));
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    private async Task ReconcileAsync(string model, CancellationToken cancellationToken)
    {
        var expected = await chunks.CountPointsByDocumentAsync(model, cancellationToken);
        var stale = expected.Where(e => _loaded.GetValueOrDefault(e.Key) != new DocumentPoints(e.Value.Count, e.Value.Version)).Select(e => e.Key)
            .Concat(_loaded.Keys.Where(id => !expected.ContainsKey(id)))
            .ToList();
        foreach (var documentId in stale)
        {
            await RefreshAsync(model, documentId, cancellationToken);
        }

        if (stale.Count > 0)
        {
            Log.Reconciled(logger, stale.Count);
        }
    }

    private readonly record struct DocumentPoints(int Count, int Version);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} vectors of model {Model} into the in-process index")]
        public static partial void Loaded(ILogger logger, long count, string model);

        [LoggerMessage(Level = LogLevel.Information, Message = "Reconciliation refreshed {Count} documents the index events had missed")]
        public static partial void Reconciled(ILogger logger, int count);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Index synchronisation failed, will retry: {Reason}")]
        public static partial void SyncFailed(ILogger logger, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot subscribe to index events yet: {Reason}")]
        public static partial void SubscribeFailed(ILogger logger, string reason);
    }
}

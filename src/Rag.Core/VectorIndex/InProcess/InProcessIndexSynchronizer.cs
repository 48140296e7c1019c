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
    private readonly Dictionary<Guid, int> _loadedCounts = [];
    private volatile bool _loaded;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_loaded && index.Describe() is var loaded
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
    /// A refresh of the document running meanwhile could put it back; the event published after the delete removes it again.
    /// </summary>
    public async Task ForgetDocumentAsync(Guid documentId, CancellationToken cancellationToken = default)
    {
        await index.DeleteDocumentAsync(documentId, cancellationToken);
        textIndex.DeleteDocument(documentId);
        passages.DeleteDocument(documentId);
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
            try
            {
                _loadedCounts.Clear();
                var textEntries = new List<TextIndexEntry>();
                var passageEntries = new List<StoredPassage>();
                var loaded = await index.LoadAsync(model, dimension, Counting(chunks.ReadAllIndexedChunksAsync(model, stoppingToken), textEntries, passageEntries), stoppingToken);
                textIndex.Load(textEntries);
                passages.Load(passageEntries);
                _loaded = true;
                Log.Loaded(logger, loaded, model);
                return;
            }
            catch (Exception error) when (error is Npgsql.NpgsqlException or TimeoutException)
            {
                Log.SyncFailed(logger, error.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    // Counts each document's chunks and sets their text entries and passages aside while the vectors stream into the index.
    private async IAsyncEnumerable<VectorPoint> Counting(IAsyncEnumerable<IndexedChunk> chunks, List<TextIndexEntry> textEntries, List<StoredPassage> passageEntries)
    {
        await foreach (var chunk in chunks)
        {
            _loadedCounts[chunk.Point.DocumentId] = _loadedCounts.GetValueOrDefault(chunk.Point.DocumentId) + 1;
            textEntries.Add(chunk.ToTextEntry());
            passageEntries.Add(chunk.Passage);
            yield return chunk.Point;
        }
    }

    private async Task RefreshAsync(string model, Guid documentId, CancellationToken cancellationToken)
    {
        var indexed = new List<IndexedChunk>();
        await foreach (var chunk in chunks.ReadIndexedChunksAsync(model, documentId, cancellationToken))
        {
            indexed.Add(chunk);
        }

        if (indexed.Count == 0)
        {
            await index.DeleteDocumentAsync(documentId, cancellationToken);
            textIndex.DeleteDocument(documentId);
            passages.DeleteDocument(documentId);
            _loadedCounts.Remove(documentId);
        }
        else
        {
            await index.ReplaceDocumentAsync(documentId, [.. indexed.Select(chunk => chunk.Point)], cancellationToken);
            textIndex.ReplaceDocument(documentId, [.. indexed.Select(chunk => chunk.ToTextEntry())]);
            passages.ReplaceDocument(documentId, [.. indexed.Select(chunk => chunk.Passage)]);
            _loadedCounts[documentId] = indexed.Count;
        }
    }

    private async Task ReconcileAsync(string model, CancellationToken cancellationToken)
    {
        var expected = await chunks.CountPointsByDocumentAsync(model, cancellationToken);
        var stale = expected.Where(e => _loadedCounts.GetValueOrDefault(e.Key) != e.Value).Select(e => e.Key)
            .Concat(_loadedCounts.Keys.Where(id => !expected.ContainsKey(id)))
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

using System.Collections.Concurrent;
using System.Numerics.Tensors;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// A brute-force vector index in this process's memory, for graphs without Qdrant: every search scores every
/// candidate point with a SIMD dot product of byte-quantized vectors, applying filters during the scan, then
/// rescores the best few exactly (see <see cref="VectorStore.Search"/>). About 2 KB per 384-dimensional point
/// (1.5 KB of floats, 384 bytes quantized), so 100,000 points take about 195 MB.
/// </summary>
/// <remarks>
/// Concurrent searches are answered together: one scan runs at a time, spread over every core, and it scores
/// every vector against all the searches queued when it started (see <see cref="VectorStore.Search"/>).
/// A scan holds the reader lock; a write holds the writer lock only while it copies one document's points in,
/// so a write waits at most for the scan in flight (one pass, a few milliseconds) and a search for that and
/// one short write.
/// The index starts unloaded, refusing searches with <see cref="VectorIndexNotReadyException"/>: fill it with
/// <see cref="LoadAsync"/> from the chunks table at start.
/// </remarks>
public sealed class InProcessVectorIndex : IVectorIndex, IDisposable
{
    public const string Kind = "in-process";

    // A pass reads every quantized row once whatever the batch, so bigger batches cost less per search; 16 queries
    // take 6 KB at 384 dimensions, well inside L1 beside the rows, and 16 is the load the index is sized for.
    private const int MaxBatch = 16;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly ConcurrentQueue<SearchRequest> _pending = new();
    private VectorStore? _store;
    private int _scanning;

    public VectorIndexDescription Describe()
    {
        _lock.EnterReadLock();
        try
        {
            return new VectorIndexDescription(Kind, _store?.Model, _store?.Dimension, _store?.Count ?? 0);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public Task ResetAsync(string model, int dimension, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        cancellationToken.ThrowIfCancellationRequested();
        var empty = new VectorStore(model, dimension);
        Write(() => _store = empty);
        return Task.CompletedTask;
    }

    public Task EnsureCreatedAsync(string model, int dimension, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        cancellationToken.ThrowIfCancellationRequested();
        Write(() =>
        {
            if (_store is not null && _store.Model == model && _store.Dimension == dimension)
            {
                return;
            }

            if (_store is { Count: > 0 })
            {
                throw new VectorIndexMismatchException(
                    $"The index holds {_store.Count} vectors of '{_store.Model}' ({_store.Dimension} dimensions), not '{model}' ({dimension}). Reindex to change models.");
            }

            _store = new VectorStore(model, dimension);
        });
        return Task.CompletedTask;
    }

    public Task ReplaceDocumentAsync(Guid documentId, IReadOnlyList<VectorPoint> points, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(points);
        cancellationToken.ThrowIfCancellationRequested();
        Write(() =>
        {
            var store = RequireStore();
            store.Validate(documentId, points);
            store.ReplaceDocument(documentId, points);
        });
        return Task.CompletedTask;
    }

    public Task DeleteDocumentAsync(Guid documentId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(() => _store?.DeleteDocument(documentId));
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyList<VectorMatch>> SearchAsync(ReadOnlyMemory<float> vector, int limit, VectorFilter filter, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentNullException.ThrowIfNull(filter);
        cancellationToken.ThrowIfCancellationRequested();

        var query = vector.ToArray();
        var norm = TensorPrimitives.Norm(query);
        if (norm > 0)
        {
            TensorPrimitives.Divide(query, norm, query);
        }

        var request = new SearchRequest(query, limit, new CompiledFilter(filter), cancellationToken);
        _pending.Enqueue(request);
        if (TryClaimScanner())
        {
            StartScanner();
        }

        return await request.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>A copy of the chunk's vector (normalised), or null when the index does not hold the chunk.</summary>
    public float[]? CopyVector(Guid chunkId)
    {
        _lock.EnterReadLock();
        try
        {
            return _store?.CopyVector(chunkId);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Describe().Count ?? 0);
    }

    /// <summary>
    /// Replaces the whole index with <paramref name="points"/> (for example every chunk read from Postgres at
    /// start). The new contents are built aside and swapped in at once, so searches keep answering from the old
    /// contents meanwhile; writes made to the index during the load are lost with the old contents.
    /// </summary>
    /// <returns>The number of points loaded.</returns>
    public async Task<long> LoadAsync(string model, int dimension, IAsyncEnumerable<VectorPoint> points, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentNullException.ThrowIfNull(points);

        var store = new VectorStore(model, dimension);
        await foreach (var point in points.WithCancellation(cancellationToken))
        {
            ArgumentNullException.ThrowIfNull(point, nameof(points));
            store.Validate(point);
            store.Upsert(point);
        }

        store.TrimExcess();
        Write(() => _store = store);
        return store.Count;
    }

    public void Dispose() => _lock.Dispose();

    // One scanner runs at a time (each scan uses every core), on the thread pool so that no caller is kept
    // scanning for others. It answers one batch, then checks the queue again after leaving, so a request
    // queued while it was busy is never stranded.
    private void AnswerPendingSearches()
    {
        try
        {
            if (TakeBatch() is { Count: > 0 } batch)
            {
                Answer(batch);
            }
        }
        finally
        {
            // A full fence: the emptiness check below must not be read before the scanner is seen as free.
            Interlocked.Exchange(ref _scanning, 0);
        }

        if (!_pending.IsEmpty && TryClaimScanner())
        {
            StartScanner();
        }
    }

    // Queued behind the continuations of the callers just answered, rather than looping at once: those callers'
    // next searches then join the next batch instead of waiting a whole pass for the one after.
    private void StartScanner() =>
        ThreadPool.UnsafeQueueUserWorkItem(static index => index.AnswerPendingSearches(), this, preferLocal: false);

    private bool TryClaimScanner() => Interlocked.CompareExchange(ref _scanning, 1, 0) == 0;

    private List<SearchRequest> TakeBatch()
    {
        var batch = new List<SearchRequest>();
        while (batch.Count < MaxBatch && _pending.TryDequeue(out var request))
        {
            if (!request.CancellationToken.IsCancellationRequested)
            {
                batch.Add(request);
            }
            else
            {
                request.Completion.TrySetCanceled(request.CancellationToken);
            }
        }

        return batch;
    }

    // Runs on a pool thread: every failure, even of the lock itself (say, after Dispose), goes to the callers.
    private void Answer(List<SearchRequest> batch)
    {
        try
        {
            AnswerUnderReadLock(batch);
        }
        catch (Exception exception)
        {
            foreach (var request in batch)
            {
                request.Completion.TrySetException(exception);
            }
        }
    }

    private void AnswerUnderReadLock(List<SearchRequest> batch)
    {
        _lock.EnterReadLock();
        try
        {
            var searchable = new List<SearchRequest>(batch.Count);
            foreach (var request in batch)
            {
                if (_store is null)
                {
                    request.Completion.TrySetException(new VectorIndexNotReadyException("The in-process vector index has not been loaded yet."));
                }
                else if (request.Query.Length != _store.Dimension)
                {
                    request.Completion.TrySetException(new VectorIndexMismatchException(
                        $"The query has {request.Query.Length} dimensions, but the index holds {_store.Dimension}-dimensional vectors of '{_store.Model}'."));
                }
                else
                {
                    searchable.Add(request);
                }
            }

            if (_store is not null && searchable.Count > 0)
            {
                var results = _store.Search(searchable);
                for (var i = 0; i < searchable.Count; i++)
                {
                    searchable[i].Completion.TrySetResult(results[i]);
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private VectorStore RequireStore() =>
        _store ?? throw new InvalidOperationException("Call EnsureCreatedAsync (or LoadAsync) before writing to the index.");

    private void Write(Action write)
    {
        _lock.EnterWriteLock();
        try
        {
            write();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }
}

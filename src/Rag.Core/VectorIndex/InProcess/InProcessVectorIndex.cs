using System.Numerics.Tensors;

namespace Rag.Core.VectorIndex.InProcess;

/// <summary>
/// An exact (brute-force) vector index in this process's memory, for graphs without Qdrant: every search
/// scores every candidate point with a SIMD dot product, applying filters during the scan. About 1.6 KB per
/// 384-dimensional point, so 100,000 points take about 160 MB.
/// </summary>
/// <remarks>
/// Searches share a reader lock and run in parallel; a write holds the writer lock only while it copies one
/// document's points in, so a search waits at most for the scans in flight and one short write.
/// The index starts empty: fill it with <see cref="LoadAsync"/> from the chunks table at start.
/// </remarks>
public sealed class InProcessVectorIndex : IVectorIndex, IDisposable
{
    public const string Kind = "in-process";

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private VectorStore? _store;

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

    public Task<IReadOnlyList<VectorMatch>> SearchAsync(ReadOnlyMemory<float> vector, int limit, VectorFilter filter, CancellationToken cancellationToken = default)
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

        var compiledFilter = new CompiledFilter(filter);
        _lock.EnterReadLock();
        try
        {
            if (_store is null)
            {
                return Task.FromResult<IReadOnlyList<VectorMatch>>([]);
            }

            if (query.Length != _store.Dimension)
            {
                throw new VectorIndexMismatchException(
                    $"The query has {query.Length} dimensions, but the index holds {_store.Dimension}-dimensional vectors of '{_store.Model}'.");
            }

            return Task.FromResult<IReadOnlyList<VectorMatch>>(_store.Search(query, limit, compiledFilter, cancellationToken));
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

        Write(() => _store = store);
        return store.Count;
    }

    public void Dispose() => _lock.Dispose();

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

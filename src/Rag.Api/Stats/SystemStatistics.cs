using System.Diagnostics.Metrics;
using Npgsql;

namespace Rag.Api.Stats;

internal sealed record QueueStatistics(long Length, TimeSpan? OldestAge);

internal sealed record SystemCounts(IReadOnlyDictionary<string, long> DocumentsByStatus, long Chunks, QueueStatistics Queue, DateTimeOffset MeasuredAt);

/// <summary>
/// Counts from PostgreSQL (the truth about documents and jobs), read at most once per <see cref="CacheFor"/>:
/// the observable gauges are collected on every export and /api/v1/stats may be polled by dashboards, and
/// neither should turn into a query per call.
/// </summary>
internal sealed class SystemStatistics : IDisposable
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly Meter _meter = new("Rag.Api.Stats");
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private SystemCounts? _latest;

    public SystemStatistics(NpgsqlDataSource dataSource, TimeProvider time)
    {
        _dataSource = dataSource;
        _time = time;

        // Gauge callbacks are synchronous: they report the cached counts and start a refresh when those are stale.
        _meter.CreateObservableGauge("rag.queue.length", () => Observe(counts => counts.Queue.Length), "{job}", "Jobs queued and not yet claimed.");
        _meter.CreateObservableGauge(
            "rag.queue.oldest_age", () => Observe(counts => counts.Queue.OldestAge?.TotalSeconds ?? 0), "s", "How long the oldest queued job has waited.");
    }

    public async Task<SystemCounts> GetAsync(CancellationToken cancellationToken = default)
    {
        if (_latest is { } fresh && _time.GetUtcNow() - fresh.MeasuredAt < CacheFor)
        {
            return fresh;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (_latest is { } refreshed && _time.GetUtcNow() - refreshed.MeasuredAt < CacheFor)
            {
                return refreshed;
            }

            _latest = await QueryAsync(cancellationToken);
            return _latest;
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose()
    {
        _meter.Dispose();
        _refresh.Dispose();
    }

    private IEnumerable<Measurement<double>> Observe(Func<SystemCounts, double> value)
    {
        if (_latest is null || _time.GetUtcNow() - _latest.MeasuredAt >= CacheFor)
        {
            // Fire and forget: a failed refresh leaves the last counts (or none) for this collection.
            _ = RefreshQuietlyAsync();
        }

        return _latest is { } counts ? [new Measurement<double>(value(counts))] : [];
    }

    private async Task RefreshQuietlyAsync()
    {
        try
        {
            await GetAsync();
        }
        catch (Exception error) when (error is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // PostgreSQL is away or not migrated yet; the next collection tries again.
        }
    }

    private async Task<SystemCounts> QueryAsync(CancellationToken cancellationToken)
    {
        await using var batch = _dataSource.CreateBatch();
        batch.BatchCommands.Add(new("SELECT status, count(*) FROM documents GROUP BY status"));
        batch.BatchCommands.Add(new("SELECT count(*) FROM chunks"));
        batch.BatchCommands.Add(new("SELECT count(*), now() - min(created_at) FROM jobs WHERE status = 'queued'"));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);

        var byStatus = new Dictionary<string, long>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            byStatus[reader.GetString(0)] = reader.GetInt64(1);
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var chunks = reader.GetInt64(0);

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var queue = new QueueStatistics(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<TimeSpan>(1));
        return new SystemCounts(byStatus, chunks, queue, _time.GetUtcNow());
    }
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Rag.Core.Storage;

namespace Rag.Core.VectorIndex;

/// <summary>
/// Runs index rebuilds in the background of the process that hosts it: one asked for through <see cref="Request"/>,
/// and at start any rebuild a stopped process left running. An advisory lock lets one replica run it at a time.
/// </summary>
public sealed partial class IndexRebuildRunner(
    IndexRebuilder rebuilder,
    NpgsqlDataSource dataSource,
    IDatabaseMigrationStatus migrations,
    ILogger<IndexRebuildRunner> logger) : BackgroundService
{
    // Any constant shared by every replica; it only has to differ from the migrator's lock.
    private const long AdvisoryLockKey = 0x5241_4752_4542_4C44;

    private readonly SemaphoreSlim _wake = new(0);

    /// <summary>Starts a rebuild (or finds the running one) and has this process run it.</summary>
    public async Task<IndexRebuildStatus> Request(CancellationToken cancellationToken = default)
    {
        var status = await rebuilder.StartAsync(cancellationToken);
        _wake.Release();
        return status;
    }

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitUntilAppliedAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await rebuilder.GetRunningAsync(stoppingToken) is { } running)
                {
                    await RunExclusivelyAsync(running.Id, stoppingToken);
                }
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                Log.RebuildFailed(logger, error);
            }

            await _wake.WaitAsync(TimeSpan.FromMinutes(1), stoppingToken);
        }
    }

    private async Task RunExclusivelyAsync(Guid rebuildId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", connection))
        {
            tryLock.Parameters.Add(new() { Value = AdvisoryLockKey });
            if (await tryLock.ExecuteScalarAsync(cancellationToken) is not true)
            {
                return;
            }
        }

        // The lock belongs to this connection's session. Pooled connections are not reset on return (see
        // AddRagDatabase), so it is released here; should that fail, the connection is broken and its session, lock
        // included, ends with it.
        try
        {
            Log.Running(logger, rebuildId);
            await rebuilder.RunAsync(rebuildId, cancellationToken: cancellationToken);
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
            unlock.Parameters.Add(new() { Value = AdvisoryLockKey });
            await unlock.ExecuteScalarAsync(CancellationToken.None);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Running index rebuild {RebuildId}")]
        public static partial void Running(ILogger logger, Guid rebuildId);

        [LoggerMessage(Level = LogLevel.Error, Message = "Index rebuild failed")]
        public static partial void RebuildFailed(ILogger logger, Exception error);
    }
}

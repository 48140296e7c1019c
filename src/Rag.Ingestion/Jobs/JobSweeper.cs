using Microsoft.Extensions.Options;
using Rag.Core.Jobs;
using Rag.Core.Redis;
using Rag.Core.Storage;

namespace Rag.Ingestion.Jobs;

/// <summary>
/// Postgres is the truth, Redis the fast path: dispatches again the jobs whose messages may be lost (Redis
/// restarted empty, a dispatch failed, a retry is due, a worker died with its message gone).
/// </summary>
internal sealed partial class JobSweeper(
    JobStore jobs,
    JobQueue queue,
    IDatabaseMigrationStatus migrations,
    IOptions<JobQueueOptions> options,
    ILogger<JobSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitUntilAppliedAsync(stoppingToken);
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.SweepInterval);
        do
        {
            try
            {
                var stranded = await jobs.TakeStrandedAsync(settings.RedispatchQueuedAfter, settings.VisibilityTimeout * 2, limit: 500, stoppingToken);
                foreach (var job in stranded)
                {
                    await queue.DispatchAsync(job.Id, job.TraceParent, stoppingToken);
                }

                if (stranded.Count > 0)
                {
                    Log.Redispatched(logger, stranded.Count);
                }
            }
            catch (Exception error) when (error is RedisException or Npgsql.NpgsqlException or TimeoutException)
            {
                // Jobs taken above but not dispatched are queued with a fresh timestamp: the next sweeps pick them up.
                Log.SweepFailed(logger, error.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Dispatched {Count} stranded jobs again")]
        public static partial void Redispatched(ILogger logger, int count);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Job sweep failed: {Reason}")]
        public static partial void SweepFailed(ILogger logger, string reason);
    }
}

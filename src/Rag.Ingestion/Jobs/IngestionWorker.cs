using Microsoft.Extensions.Options;
using Rag.Core.Ingestion;
using Rag.Core.Jobs;
using Rag.Core.Redis;
using Rag.Core.Storage;
using Rag.Core.Telemetry;

namespace Rag.Ingestion.Jobs;

/// <summary>
/// Consumes job messages with <see cref="IngestionOptions.Concurrency"/> loops, each its own stream consumer.
/// A message is acknowledged only once its job is finished (or is not this worker's), so a worker that dies
/// leaves its message pending for another to reclaim after the visibility timeout.
/// </summary>
internal sealed partial class IngestionWorker(
    JobQueue queue,
    JobStore jobs,
    DocumentIndexer indexer,
    IDatabaseMigrationStatus migrations,
    IOptions<JobQueueOptions> queueOptions,
    IOptions<IngestionOptions> ingestionOptions,
    ILogger<IngestionWorker> logger) : BackgroundService
{
    private static readonly TimeSpan ReadBlock = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ErrorPause = TimeSpan.FromSeconds(1);

    private readonly string _workerId = $"{Environment.MachineName}-{Environment.ProcessId}";

    // Cancelled only when the shutdown grace period is over: jobs in hand get that long to finish.
    private readonly CancellationTokenSource _abandon = new();

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _abandon.CancelAfter(ingestionOptions.Value.ShutdownGracePeriod);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _abandon.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await migrations.WaitUntilAppliedAsync(stoppingToken);
        var loops = Enumerable.Range(0, ingestionOptions.Value.Concurrency)
            .Select(i => ConsumeAsync($"{_workerId}-{i}", stoppingToken));
        await Task.WhenAll(loops);
    }

    private async Task ConsumeAsync(string consumer, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Abandoned messages first, so a crashed worker's job does not wait behind new uploads.
                var messages = await queue.ReclaimAsync(consumer, count: 1, stoppingToken);
                if (messages.Count == 0)
                {
                    messages = await queue.ReadAsync(consumer, count: 1, ReadBlock, stoppingToken);
                }

                foreach (var message in messages)
                {
                    await HandleAsync(consumer, message, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is RedisException or Npgsql.NpgsqlException or TimeoutException)
            {
                // Redis or PostgreSQL is away: nothing is lost (the job row stays), so wait and try again.
                Log.DependencyUnavailable(logger, error.Message);
                await Task.Delay(ErrorPause, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task HandleAsync(string consumer, JobMessage message, CancellationToken stoppingToken)
    {
        var job = await jobs.TryClaimAsync(message.JobId, consumer, queueOptions.Value.VisibilityTimeout, stoppingToken);
        if (job is null)
        {
            // Finished, cancelled, deleted or out of attempts: the message has done its work. A job another live
            // worker still holds keeps its message pending, to be reclaimed should that worker die.
            var current = await jobs.GetAsync(message.JobId, stoppingToken);
            if (current is null || JobStatus.IsFinal(current.Status) || current.Status == JobStatus.Queued)
            {
                await queue.AcknowledgeAsync(message, stoppingToken);
            }

            return;
        }

        using var activity = RagActivitySources.StartJobProcessing(job.Id, job.DocumentId, job.Attempt, message.TraceParent ?? job.TraceParent);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = job.Id, ["DocumentId"] = job.DocumentId });
        Log.Claimed(logger, job.Id, job.DocumentId, job.Attempt, job.MaxAttempts);
        using var jobCancellation = CancellationTokenSource.CreateLinkedTokenSource(_abandon.Token);
        var progress = new JobProgress();
        var heartbeat = HeartbeatAsync(job, consumer, progress, jobCancellation);
        try
        {
            var outcome = await indexer.IndexAsync(job, consumer, progress, jobCancellation.Token);
            RagMetrics.RecordJobFinished(outcome == ChunkWriteOutcome.Written ? "completed" : "superseded");
            Log.Finished(logger, job.Id, outcome);
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            // Shutting down and out of grace: hand the job back untouched for another worker.
            await jobs.ReleaseAsync(job.Id, consumer, CancellationToken.None);
            await queue.DispatchAsync(job.Id, job.TraceParent, CancellationToken.None);
            RagMetrics.RecordJobFinished("released");
            Log.Released(logger, job.Id);
        }
        catch (OperationCanceledException) when (jobCancellation.IsCancellationRequested)
        {
            // The heartbeat found the job cancelled, deleted or taken over: its new owner or nobody carries on.
            RagMetrics.RecordJobFinished("cancelled");
            Log.Cancelled(logger, job.Id);
        }
        catch (Exception error)
        {
            var permanent = error is UnprocessableDocumentException;
            var status = await jobs.FailAttemptAsync(job.Id, consumer, Describe(error), permanent, CancellationToken.None);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, error.GetType().Name);
            RagMetrics.RecordJobFinished(status == JobStatus.Failed ? "failed" : "retrying");
            Log.AttemptFailed(logger, job.Id, job.Attempt, status, error);
        }
        finally
        {
            await jobCancellation.CancelAsync();
            await heartbeat;
        }

        await queue.AcknowledgeAsync(message, CancellationToken.None);
    }

    private async Task HeartbeatAsync(ClaimedJob job, string consumer, JobProgress progress, CancellationTokenSource jobCancellation)
    {
        var interval = queueOptions.Value.VisibilityTimeout / 4;
        try
        {
            while (!jobCancellation.IsCancellationRequested)
            {
                await Task.Delay(interval, jobCancellation.Token);
                if (!await jobs.HeartbeatAsync(job.Id, consumer, progress.Value, jobCancellation.Token))
                {
                    await jobCancellation.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception error) when (error is Npgsql.NpgsqlException or TimeoutException)
        {
            // A missed heartbeat only risks a takeover after the visibility timeout, which the final write detects.
            Log.HeartbeatFailed(logger, job.Id, error.Message);
        }
    }

    // What a person reads in the job's error: our own messages in full, anything else by its kind only.
    private static string Describe(Exception error) => error switch
    {
        UnprocessableDocumentException => error.Message,
        RedisException or Npgsql.NpgsqlException or TimeoutException or HttpRequestException =>
            $"A service the worker depends on failed ({error.GetType().Name}); the job will be retried.",
        _ => $"Processing failed unexpectedly ({error.GetType().Name}).",
    };

    private sealed class JobProgress : IProgress<float>
    {
        private float _value;

        public float Value => Volatile.Read(ref _value);

        public void Report(float value) => Volatile.Write(ref _value, value);
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Claimed job {JobId} for document {DocumentId} (attempt {Attempt} of {MaxAttempts})")]
        public static partial void Claimed(ILogger logger, Guid jobId, Guid documentId, int attempt, int maxAttempts);

        [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} finished: {Outcome}")]
        public static partial void Finished(ILogger logger, Guid jobId, ChunkWriteOutcome outcome);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} released unfinished at shutdown")]
        public static partial void Released(ILogger logger, Guid jobId);

        [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} stopped: it was cancelled, deleted or taken over")]
        public static partial void Cancelled(ILogger logger, Guid jobId);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} attempt {Attempt} failed; job is now {Status}")]
        public static partial void AttemptFailed(ILogger logger, Guid jobId, int attempt, string status, Exception error);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat of job {JobId} failed: {Reason}")]
        public static partial void HeartbeatFailed(ILogger logger, Guid jobId, string reason);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for Redis or PostgreSQL: {Reason}")]
        public static partial void DependencyUnavailable(ILogger logger, string reason);
    }
}

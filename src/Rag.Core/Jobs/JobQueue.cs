using System.Text;
using Microsoft.Extensions.Options;
using Rag.Core.Redis;
using Rag.Core.Telemetry;

namespace Rag.Core.Jobs;

/// <summary>A job id delivered through the stream, with the trace context of the request that created the job.</summary>
public sealed record JobMessage(string MessageId, Guid JobId, string? TraceParent);

/// <summary>
/// Dispatch of jobs over a Redis Stream read by the ingestion workers' consumer group. The stream only wakes
/// workers up: every message names a row in the jobs table, which decides whether there is work to do.
/// </summary>
public sealed class JobQueue(IRedisClient redis, IOptions<JobQueueOptions> options)
{
    private readonly JobQueueOptions _options = options.Value;

    public async Task DispatchAsync(Guid jobId, string? traceParent, CancellationToken cancellationToken = default)
    {
        using var activity = RagActivitySources.Ingestion.StartActivity("publish job", System.Diagnostics.ActivityKind.Producer);
        activity?.SetTag("rag.job.id", jobId);
        activity?.SetTag("messaging.system", "redis");
        activity?.SetTag("messaging.destination.name", _options.StreamKey);
        await redis.StreamAddAsync(
            _options.StreamKey,
            [new("job_id", jobId.ToString()), new("traceparent", traceParent ?? string.Empty)],
            _options.MaxStreamLength,
            cancellationToken);
    }

    /// <summary>New messages for <paramref name="consumer"/>, waiting up to <paramref name="block"/> for one.</summary>
    public async Task<IReadOnlyList<JobMessage>> ReadAsync(string consumer, int count, TimeSpan block, CancellationToken cancellationToken = default)
    {
        var entries = await WithGroupAsync(
            () => redis.StreamReadGroupAsync(_options.StreamKey, _options.ConsumerGroup, consumer, count, block, cancellationToken: cancellationToken),
            cancellationToken);
        return Parse(entries);
    }

    /// <summary>Messages another consumer took but did not acknowledge within the visibility timeout (it crashed or hangs).</summary>
    public async Task<IReadOnlyList<JobMessage>> ReclaimAsync(string consumer, int count, CancellationToken cancellationToken = default)
    {
        var claimed = await WithGroupAsync(
            () => redis.StreamAutoClaimAsync(_options.StreamKey, _options.ConsumerGroup, consumer, _options.VisibilityTimeout, count: count, cancellationToken: cancellationToken),
            cancellationToken);
        return Parse(claimed.Entries);
    }

    public Task AcknowledgeAsync(JobMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        return redis.StreamAcknowledgeAsync(_options.StreamKey, _options.ConsumerGroup, [message.MessageId], cancellationToken);
    }

    // The stream and its group vanish when Redis restarts without its data; the next reader recreates them and
    // the sweeper re-dispatches what was lost.
    private async Task<T> WithGroupAsync<T>(Func<Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await operation();
        }
        catch (RedisServerException error) when (error.ErrorCode == "NOGROUP")
        {
            await redis.StreamCreateGroupAsync(_options.StreamKey, _options.ConsumerGroup, "0", cancellationToken);
            return await operation();
        }
    }

    private static List<JobMessage> Parse(IReadOnlyList<RedisStreamEntry> entries)
    {
        var messages = new List<JobMessage>(entries.Count);
        foreach (var entry in entries)
        {
            if (entry.Fields.TryGetValue("job_id", out var jobId) && Guid.TryParse(Encoding.UTF8.GetString(jobId), out var id))
            {
                var traceParent = entry.Fields.TryGetValue("traceparent", out var value) && value.Length > 0 ? Encoding.UTF8.GetString(value) : null;
                messages.Add(new JobMessage(entry.Id, id, traceParent));
            }
        }

        return messages;
    }
}

using System.ComponentModel.DataAnnotations;

namespace Rag.Core.Jobs;

// "Jobs": {
//   "MaxAttempts": 3,
//   "VisibilityTimeout": "00:01:00",
//   "RedispatchQueuedAfter": "00:01:00",
//   "SweepInterval": "00:00:05"
// }
public sealed class JobQueueOptions
{
    public const string SectionName = "Jobs";

    public string StreamKey { get; set; } = "rag:jobs";

    public string ConsumerGroup { get; set; } = "ingestion";

    /// <summary>Trims the stream of old, acknowledged messages; the jobs table keeps the history.</summary>
    [Range(1_000, 10_000_000)]
    public long MaxStreamLength { get; set; } = 100_000;

    /// <summary>How many times a job is tried before it fails with its last error.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 3;

    /// <summary>
    /// How long a worker may go without a heartbeat before its job is taken over: both the age at which an
    /// unacknowledged message is reclaimed and the silence after which a processing job counts as abandoned.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A job still queued this long after its last dispatch is dispatched again (Redis may have lost it, or a retry is due).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RedispatchQueuedAfter { get; set; } = TimeSpan.FromMinutes(1);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);
}

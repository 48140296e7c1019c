using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Rag.Core.Redis;

/// <summary>The "Rag.Redis" ActivitySource and Meter. Spans carry the command name only, never keys or values.</summary>
public static class RedisTelemetry
{
    public const string Name = "Rag.Redis";

    internal static readonly ActivitySource ActivitySource = new(Name);

    private static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Commands =
        Meter.CreateCounter<long>("rag.redis.commands", "{command}", "Commands sent to Redis.");

    internal static readonly Counter<long> Failures =
        Meter.CreateCounter<long>("rag.redis.command.failures", "{command}", "Commands that failed: error reply, timeout or lost connection.");

    internal static readonly Counter<long> Reconnects =
        Meter.CreateCounter<long>("rag.redis.reconnects", "{connection}", "Connections re-established after a loss.");

    internal static readonly Counter<long> CompletionStalls =
        Meter.CreateCounter<long>(
            "rag.redis.completion.stalls",
            "{batch}",
            "Batches of replies whose callers' continuations made no progress for a millisecond: one blocked or ran long, often waiting synchronously for Redis.");

    internal static readonly Histogram<double> CommandDuration =
        Meter.CreateHistogram<double>("rag.redis.command.duration", "s", "Time from sending a command to its reply.");

    /// <summary>Counts a command and its duration since <paramref name="started"/> (a Stopwatch timestamp).</summary>
    internal static void RecordCommand(string command, long started, bool failed)
    {
        var tag = new KeyValuePair<string, object?>("db.operation", command);
        Commands.Add(1, tag);
        if (failed)
        {
            Failures.Add(1, tag);
        }

        // Reading the clock is the costly part when nobody listens.
        if (CommandDuration.Enabled)
        {
            CommandDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tag);
        }
    }

    internal static Activity? StartCommand(string command)
    {
        var activity = ActivitySource.StartActivity(command, ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag("db.system", "redis");
            activity.SetTag("db.operation", command);
        }

        return activity;
    }
}

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

    internal static readonly Histogram<double> CommandDuration =
        Meter.CreateHistogram<double>("rag.redis.command.duration", "s", "Time from sending a command to its reply.");

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

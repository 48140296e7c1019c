using System.Diagnostics;

namespace Rag.Core.Redis;

/// <summary>A queued command and the promise of its reply; one allocation besides the argument array.</summary>
internal sealed class RedisCommand : TaskCompletionSource<RedisResult>
{
    public RedisCommand(string name, RedisValue[] arguments, TimeSpan timeout)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Name = name;
        Arguments = arguments;
        Timeout = timeout;
        StartedAt = Stopwatch.GetTimestamp();
    }

    public string Name { get; }

    public RedisValue[] Arguments { get; }

    public TimeSpan Timeout { get; }

    public long StartedAt { get; }

    /// <summary>
    /// Lets the caller stop waiting: the command stays in the pipeline (its reply must still be read to keep
    /// replies aligned) but its task is cancelled. Cheaper than Task.WaitAsync, which allocates a second task.
    /// </summary>
    public CancellationTokenRegistration CancelWith(CancellationToken cancellationToken) =>
        cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static (state, token) => ((RedisCommand)state!).TrySetCanceled(token), this)
            : default;

    public bool IsOverdue(long now) => Stopwatch.GetElapsedTime(StartedAt, now) > Timeout;
}

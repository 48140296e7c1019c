using System.Diagnostics;

namespace Rag.Core.Redis;

/// <summary>
/// A queued command and the promise of its reply: two allocations (this and its task) besides the arguments.
/// Its task is handed to the caller as is, so everything that must happen when the command ends (its span and
/// metrics, releasing the caller's cancellation registration) happens here, in <see cref="Complete"/>,
/// <see cref="Fail"/> or the cancellation callback, instead of in an async method wrapped around it. Complete it
/// only through those, never through the inherited TrySet… methods, which would skip them.
/// </summary>
internal sealed class RedisCommand : TaskCompletionSource<RedisResult>
{
    private const int Completed = 1;
    private const int CancellationRegistered = 2;

    private CancellationTokenRegistration _cancellation;
    private Activity? _span;
    private int _state;

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
    /// Starts the command's span if anyone listens. Its caller does not wait here, so the caller's current
    /// activity is restored at once; the span ends when the command does.
    /// </summary>
    public void StartSpan()
    {
        var callers = Activity.Current;
        _span = RedisTelemetry.StartCommand(Name);
        if (_span is not null)
        {
            Activity.Current = callers;
        }
    }

    /// <summary>
    /// Lets the caller stop waiting: the command stays in the pipeline (its reply must still be read to keep
    /// replies aligned) but its task is cancelled. Cheaper than Task.WaitAsync, which allocates a second task.
    /// </summary>
    public void CancelWith(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return;
        }

        _cancellation = cancellationToken.UnsafeRegister(
            static (state, token) => ((RedisCommand)state!).End(reply: null, error: null, token),
            this);

        // The command may have ended before the registration was stored; then releasing it falls to us.
        if ((Interlocked.Or(ref _state, CancellationRegistered) & Completed) != 0)
        {
            _cancellation.Unregister();
        }
    }

    /// <summary>Delivers the reply: an error reply fails the command with <see cref="RedisServerException"/>.</summary>
    public void Complete(RedisResult reply)
    {
        if (reply.Kind == RedisResultKind.Error)
        {
            End(reply: null, new RedisServerException(reply.ErrorMessage), default);
        }
        else
        {
            End(reply, error: null, default);
        }
    }

    public void Fail(Exception error) => End(reply: null, error, default);

    public bool IsOverdue(long now) => Stopwatch.GetElapsedTime(StartedAt, now) > Timeout;

    /// <summary>
    /// The first outcome wins: a reply, else an error, else cancellation by <paramref name="cancelledBy"/>.
    /// Metrics are recorded before the caller can observe the task.
    /// </summary>
    private void End(RedisResult? reply, Exception? error, CancellationToken cancelledBy)
    {
        var previous = Interlocked.Or(ref _state, Completed);
        if ((previous & Completed) != 0)
        {
            return;
        }

        if ((previous & CancellationRegistered) != 0)
        {
            // Unregister does not wait for a running callback, so this is safe from inside the callback itself.
            _cancellation.Unregister();
        }

        if (_span is not null)
        {
            if (reply is null)
            {
                _span.SetStatus(ActivityStatusCode.Error, error?.GetType().Name ?? nameof(OperationCanceledException));
            }

            // Stopping a span makes its parent current on this thread, which is the reader's or a timer's, not the
            // caller's: keep whatever that thread had.
            var current = Activity.Current;
            _span.Dispose();
            Activity.Current = current;
        }

        RedisTelemetry.RecordCommand(Name, StartedAt, failed: reply is null);
        if (reply is not null)
        {
            TrySetResult(reply);
        }
        else if (error is not null)
        {
            TrySetException(error);
        }
        else
        {
            TrySetCanceled(cancelledBy);
        }
    }
}

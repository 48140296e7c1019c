using System.Diagnostics;

namespace Rag.Core.Redis;

/// <summary>
/// A queued command and the promise of its reply: two allocations (this and its task) besides the arguments.
/// Its task is handed to the caller as is, so everything that must happen when the command ends (its span and
/// metrics, releasing the caller's cancellation registration) happens here, in <see cref="Deliver"/> or the
/// cancellation callback, instead of in an async method wrapped around it. Complete it only through those, never
/// through the inherited TrySet… methods, which would skip them.
/// </summary>
/// <remarks>
/// The caller's continuation runs on the thread that completes the task. So a command is completed only on a
/// thread-pool work item of its own (<see cref="Execute"/>) or of a <see cref="RedisCompletionBatch"/>, never on the
/// connection's reader, writer or watcher, nor inside whoever cancels the caller's token. The connection first
/// records the outcome (<see cref="SetReply"/>, <see cref="SetFailure"/>), then hands the command to such a work item.
/// </remarks>
internal sealed class RedisCommand : TaskCompletionSource<RedisResult>, IThreadPoolWorkItem
{
    private const int Completed = 1;
    private const int CancellationRegistered = 2;

    private CancellationTokenRegistration _cancellation;
    private Activity? _span;
    private int _state;
    private RedisResult? _reply;
    private Exception? _failure;

    public RedisCommand(string name, RedisValue[] arguments, TimeSpan timeout)
        : base(TaskCreationOptions.None)
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
    /// A token cancelled already ends the command at once, and it is not sent.
    /// </summary>
    public void CancelWith(CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            // Ended here, before it is sent: its task is not handed out yet, so no continuation can run inside this call.
            End(reply: null, error: null, cancellationToken);
            return;
        }

        // The callback runs inside whoever cancels the token: the caller's continuation gets a work item of its own.
        _cancellation = cancellationToken.UnsafeRegister(
            static (state, token) => ThreadPool.UnsafeQueueUserWorkItem(
                static cancelled => cancelled.Command.End(reply: null, error: null, cancelled.Token),
                (Command: (RedisCommand)state!, Token: token),
                preferLocal: false),
            this);

        // The command may have ended before the registration was stored; then releasing it falls to us.
        if ((Interlocked.Or(ref _state, CancellationRegistered) & Completed) != 0)
        {
            _cancellation.Unregister();
        }
    }

    /// <summary>Records the reply, to be delivered by <see cref="Deliver"/>. A reply outranks any failure recorded.</summary>
    public void SetReply(RedisResult reply) => _reply = reply;

    /// <summary>Records why the command failed, unless an earlier reason was recorded (a timeout outranks the lost connection it causes).</summary>
    public void SetFailure(Exception error) => Interlocked.CompareExchange(ref _failure, error, null);

    /// <summary>
    /// Completes the task with the recorded outcome, running the caller's continuation on this thread. An error reply
    /// fails it with <see cref="RedisServerException"/>. Call only from a work item meant for it (see the remarks).
    /// </summary>
    public void Deliver()
    {
        var reply = Volatile.Read(ref _reply);
        if (reply is null)
        {
            End(reply: null, Volatile.Read(ref _failure) ?? new RedisConnectionException($"Redis command {Name} ended without a reply."), default);
        }
        else if (reply.Kind == RedisResultKind.Error)
        {
            End(reply: null, new RedisServerException(reply.ErrorMessage), default);
        }
        else
        {
            End(reply, error: null, default);
        }
    }

    void IThreadPoolWorkItem.Execute() => Deliver();

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

            // Stopping a span makes its parent current on this thread, which is a completion work item's, not the
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

using System.Diagnostics;

namespace Rag.Core.Redis;

/// <summary>
/// The commands whose replies came in one read, completed on one thread: their callers' continuations run there one
/// after another, instead of each costing a work item and a thread wake-up of its own. The commands those callers send
/// meanwhile are written together, when the batch ends or every <see cref="MaxWriteDelay"/>, in one send. Under a
/// pipelined load a read carries dozens of replies, so this is most of the client's CPU saved.
/// </summary>
/// <remarks>
/// A continuation may block (a caller waiting synchronously for a command later in the same batch would wait forever)
/// or simply run long. So runners claim commands by index, and the connection's watcher calls <see cref="RescueIfStalled"/>
/// on every tick: a batch whose continuations made no progress for <see cref="StallTime"/> gets another runner for the
/// commands left, the connection writes what the batch held back, and the batch holds nothing back from then on. Each
/// command is claimed exactly once, however many runners there are; with more than one, the continuations no longer
/// run in reply order. A continuation that blocks thus waits for the watcher's tick once per batch, not once per
/// command it waits for.
/// </remarks>
internal sealed class RedisCompletionBatch(RedisConnection connection, RedisCommand?[] commands, int count) : IThreadPoolWorkItem
{
    // Long enough to gather a round of callers' commands into one send, short enough to add little to their round
    // trips. Checked between continuations: a slow one holds back what was sent before it until it returns, or until
    // the watcher finds the batch stalled.
    private static readonly TimeSpan MaxWriteDelay = TimeSpan.FromMicroseconds(50);

    // Far above a continuation's usual few microseconds, far below the watcher's period.
    private static readonly long StallTime = Stopwatch.Frequency / 1000;

    private int _next;
    private int _delivered;
    private long _progressAt = Stopwatch.GetTimestamp();
    private volatile bool _runnerQueued = true;
    private volatile bool _stalled;

    /// <summary>Every continuation has run (not merely been claimed).</summary>
    public bool IsFinished => Volatile.Read(ref _delivered) >= count;

    /// <summary>Every command has a runner delivering it.</summary>
    public bool IsClaimed => Volatile.Read(ref _next) >= count;

    /// <summary>The watcher has found the batch stalled at least once.</summary>
    public bool HasStalled => _stalled;

    /// <summary>
    /// Whether a command this thread sends on <paramref name="sender"/> waits for the batch to write it. Not once the
    /// batch has stalled: its continuation may be waiting synchronously for each command it sends.
    /// </summary>
    public bool HoldsBackCommandsOf(RedisConnection sender) => sender == connection && !_stalled;

    public void Execute()
    {
        _runnerQueued = false;

        // Restored after each continuation, so that none leaves its async-local state (an Activity, a logging scope) to
        // the next caller's continuation.
        var context = ExecutionContext.Capture();
        using var deferredWrites = connection.DeferWrites(this);
        var writtenAt = Stopwatch.GetTimestamp();
        int index;
        while ((index = Interlocked.Increment(ref _next) - 1) < count)
        {
            // Let go of it first: a finished batch waits for the watcher's next tick to leave the connection's list.
            var command = commands[index]!;
            commands[index] = null;
            command.Deliver();
            if (context is not null)
            {
                ExecutionContext.Restore(context);
            }

            var now = Stopwatch.GetTimestamp();
            Volatile.Write(ref _progressAt, now);
            Interlocked.Increment(ref _delivered);
            if (Stopwatch.GetElapsedTime(writtenAt, now) > MaxWriteDelay)
            {
                connection.Write();
                writtenAt = now;
            }
        }
    }

    /// <summary>
    /// When no continuation finished for <see cref="StallTime"/>, queues another runner for the commands not yet claimed.
    /// Called by the watcher only.
    /// </summary>
    /// <returns>Whether the batch is stalled.</returns>
    public bool RescueIfStalled(long now)
    {
        if (IsFinished || now - Volatile.Read(ref _progressAt) < StallTime)
        {
            return false;
        }

        // From now on the batch holds nothing back: its continuation may be waiting for each command it sends.
        _stalled = true;
        if (!IsClaimed && !_runnerQueued)
        {
            _runnerQueued = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        return true;
    }
}

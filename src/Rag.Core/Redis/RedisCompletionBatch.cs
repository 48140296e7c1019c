namespace Rag.Core.Redis;

/// <summary>
/// The commands whose replies came in one read, completed on one thread-pool work item:
/// their callers' continuations run there one after another, instead of each costing a work item and a thread wake-up
/// of its own. Under a pipelined load a read carries dozens of replies, so this is most of the client's CPU saved.
/// </summary>
/// <remarks>
/// A continuation may block (a caller waiting synchronously for a command later in the same batch would wait forever)
/// or simply run long. So runners claim commands by index, and the connection's watcher calls <see cref="RescueIfStalled"/>
/// on every tick: a batch that delivered nothing since the previous tick gets another runner for the commands left.
/// Each command is claimed exactly once, however many runners there are.
/// </remarks>
internal sealed class RedisCompletionBatch(RedisCommand?[] commands, int count) : IThreadPoolWorkItem
{
    private int _next;
    private int _nextAtLastCheck;
    private volatile bool _runnerQueued = true;

    public bool IsFinished => Volatile.Read(ref _next) >= count;

    public void Execute()
    {
        _runnerQueued = false;

        // Restored after each continuation, so that none leaves its async-local state (an Activity, a logging scope) to
        // the next caller's continuation.
        var context = ExecutionContext.Capture();
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
        }
    }

    /// <summary>Queues another runner when no command was delivered since the last call and some are left. Called by one thread only.</summary>
    public void RescueIfStalled()
    {
        var next = Volatile.Read(ref _next);
        if (next >= count)
        {
            return;
        }

        if (next == _nextAtLastCheck && !_runnerQueued)
        {
            _runnerQueued = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }

        _nextAtLastCheck = next;
    }
}

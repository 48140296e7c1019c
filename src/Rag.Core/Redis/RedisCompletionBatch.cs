namespace Rag.Core.Redis;

/// <summary>
/// Commands whose outcome is known, completed together by one thread-pool work item that runs their callers'
/// continuations synchronously: one hop per batch of replies instead of one per command.
/// <para>
/// Never executed on the connection's reader or on a thread that called into the connection (a timer, a
/// cancellation, a disposer): a continuation that blocks, even on another Redis command, then holds up only the
/// rest of its own batch, while later replies keep being read and completed by other work items.
/// </para>
/// The commands are chained through <see cref="RedisCommand.NextInBatch"/>, so a batch costs one small object
/// however many commands it holds.
/// </summary>
internal sealed class RedisCompletionBatch : IThreadPoolWorkItem
{
    private RedisCommand? _first;
    private RedisCommand? _last;

    public void Add(RedisCommand command, RedisResult reply) => Append(command, reply);

    public void Add(RedisCommand command, Exception error) => Append(command, error);

    /// <summary>Hands the batch to the thread pool's global queue, so batches start in the order they were read.</summary>
    public void Queue()
    {
        if (_first is not null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    public void Execute()
    {
        List<Exception>? escaped = null;
        var command = _first;
        while (command is not null)
        {
            var next = command.NextInBatch;
            command.NextInBatch = null;
            try
            {
                command.CompleteWithBatchedOutcome();
            }
            catch (Exception exception)
            {
                // Callers' continuations keep their exceptions in their own tasks, so this is our bookkeeping (a
                // telemetry listener): the caller gets the exception rather than a task that never ends, and the
                // rest of the batch is still completed. Should a continuation's exception ever escape after all, it
                // surfaces as unhandled once the batch is done, as it would from any thread-pool work item.
                if (!command.TrySetException(exception))
                {
                    (escaped ??= []).Add(exception);
                }
            }

            command = next;
        }

        if (escaped is not null)
        {
            throw new AggregateException("Completing Redis commands failed.", escaped);
        }
    }

    private void Append(RedisCommand command, object outcome)
    {
        command.BatchedOutcome = outcome;
        if (_last is null)
        {
            _first = command;
        }
        else
        {
            _last.NextInBatch = command;
        }

        _last = command;
    }
}

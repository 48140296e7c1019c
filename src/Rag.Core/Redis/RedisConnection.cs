using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;

namespace Rag.Core.Redis;

/// <summary>
/// One socket shared by many callers. Commands are queued, and whichever thread finds nobody writing encodes all of
/// them and sends them at once (<see cref="Write"/>). The reader matches replies to commands in FIFO order; the
/// commands of one read are completed together (<see cref="RedisCompletionBatch"/>), and the next commands their
/// callers send go out together when the batch ends. Any failure (socket error, protocol error, timeout) kills the
/// whole connection and fails every command on it: once one reply is lost, the rest would be misaligned. The owner
/// then opens a new connection.
/// </summary>
/// <remarks>
/// Under a pipelined load this is one thread's work per round trip: the thread that completes a read completes its
/// commands and sends what their callers sent next. No loop waits for work on a thread of its own, so nothing has to be
/// woken on the way.
/// </remarks>
internal sealed class RedisConnection : IAsyncDisposable
{
    private const int FlushThreshold = 64 * 1024;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;

    // Commands not yet written. Only the writer (the thread holding _writing) takes them, into _inFlight.
    private readonly ConcurrentQueue<RedisCommand> _pending = new();
    private readonly ConcurrentQueue<RedisCommand> _inFlight = new();

    // Held while one read's replies are matched to commands and their batch registered, while a failure takes the
    // commands still waiting, and while the watcher looks at both. Without it, a failure on another thread could take a
    // command whose reply the reader is matching, and the reader would hand that reply to the next command; or the
    // watcher could stop, the connection having failed, just before a batch it must look after is registered.
    // One uncontended lock per read, not per reply.
    private readonly Lock _matching = new();

    // Batches whose continuations may not all have run yet, for the watcher to rescue if one stalls them.
    private readonly List<RedisCompletionBatch> _deliveringBatches = [];
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource<Exception> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _readerStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<RedisResult>? _pushHandler;
    private readonly Action _continueReading;
    private readonly string _endpoint;
    private readonly KeyValuePair<string, object?>[] _serverTags;
    private readonly Action _continueWriting;
    private ValueTask<ReadResult> _pendingRead;
    private ValueTask<FlushResult> _pendingFlush;
    private int _writing;
    private bool _outputCompleted;
    private volatile Exception? _failure;

    // The batch of replies this thread is completing: the commands their callers send meanwhile are written when the
    // batch lets them go (DeferredWrites), together.
    [ThreadStatic]
    private static RedisCompletionBatch? t_deliveringBatch;

    private RedisConnection(Socket socket, Stream stream, RedisConnectionSettings settings, Action<RedisResult>? pushHandler)
    {
        _socket = socket;
        _stream = stream;
        _endpoint = settings.Endpoint;
        _serverTags = [new("server.address", settings.Target.Host), new("server.port", settings.Target.Port)];
        _pushHandler = pushHandler;
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(minimumReadSize: 16 * 1024));
        _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024));
        _continueReading = ContinueReading;
        _continueWriting = ContinueWriting;
    }

    public bool IsAlive => _failure is null;

    /// <summary>Completes with the reason once the connection is dead.</summary>
    public Task<Exception> Closed => _closed.Task;

    /// <summary>
    /// Opens a connection, negotiates TLS, authenticates and selects the database.
    /// <paramref name="pushHandler"/> receives pub/sub messages, which are not replies to any command.
    /// </summary>
    public static async Task<RedisConnection> ConnectAsync(
        RedisConnectionSettings settings, Action<RedisResult>? pushHandler, CancellationToken cancellationToken = default)
    {
        var target = settings.Target;
        using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connectTimeout.CancelAfter(settings.ConnectTimeout);

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        RedisConnection? connection = null;
        try
        {
            await socket.ConnectAsync(target.Host, target.Port, connectTimeout.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (target.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = target.SslHost ?? target.Host,
                        RemoteCertificateValidationCallback = settings.CertificateValidation,
                    },
                    connectTimeout.Token).ConfigureAwait(false);
            }

            connection = new RedisConnection(socket, stream, settings, pushHandler);
            connection.Start(settings.CommandTimeout);
            await connection.HandshakeAsync(settings, connectTimeout.Token).ConfigureAwait(false);
            return connection;
        }
        catch (Exception exception)
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                if (stream is not null)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }

                socket.Dispose();
            }

            if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw exception switch
            {
                RedisException redis => redis,
                OperationCanceledException => new RedisConnectionException(
                    $"Connecting to Redis at {settings.Endpoint} timed out after {settings.ConnectTimeout}."),
                _ => new RedisConnectionException($"Could not connect to Redis at {settings.Endpoint}: {exception.Message}", exception),
            };
        }
    }

    /// <summary>Queues a command; the returned task completes with its reply or fails with a <see cref="RedisException"/>.</summary>
    public Task<RedisResult> SendAsync(RedisCommand command)
    {
        if (_failure is not null)
        {
            command.SetFailure(ConnectionLost());
            ThreadPool.UnsafeQueueUserWorkItem(command, preferLocal: false);
            return command.Task;
        }

        _pending.Enqueue(command);

        // Inside a batch of this connection's replies the batch writes when it lets its callers' commands go. Unless it
        // stalled: its caller may be waiting synchronously for this command; or the connection failed meanwhile, and its
        // writer may have failed what was pending before this command was queued.
        if (t_deliveringBatch is not { } batch || !batch.HoldsBackCommandsOf(this) || _failure is not null)
        {
            Write();
        }

        return command.Task;
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new RedisConnectionException($"The Redis connection to {_endpoint} was closed."));
        try
        {
            await _readerStopped.Task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loops' failure was already delivered to every pending command.
        }

        _shutdown.Dispose();
    }

    private void Start(TimeSpan commandTimeout) =>
        // From a work item, which carries no caller's async-local state (an Activity, a logging scope): the reads and
        // the watcher capture the context they start in, and reads complete callers' commands.
        ThreadPool.UnsafeQueueUserWorkItem(
            static state =>
            {
                var (connection, commandTimeout) = state;

                // Not awaited by DisposeAsync: it outlives the connection while callers' continuations still run.
                _ = connection.WatchAsync(commandTimeout);
                connection.StartReading();
            },
            (this, commandTimeout),
            preferLocal: false);

    private async Task HandshakeAsync(RedisConnectionSettings settings, CancellationToken cancellationToken)
    {
        var target = settings.Target;
        var steps = new List<Task<RedisResult>>();
        if (target.Password is not null)
        {
            RedisValue[] credentials = target.User is null ? [target.Password] : [target.User, target.Password];
            steps.Add(SendAsync(new RedisCommand("AUTH", credentials, settings.CommandTimeout)));
        }

        if (target.Database != 0)
        {
            steps.Add(SendAsync(new RedisCommand("SELECT", [target.Database], settings.CommandTimeout)));
        }

        // Without a password, PING proves the server does not require one.
        if (target.Password is null)
        {
            steps.Add(SendAsync(new RedisCommand("PING", [], settings.CommandTimeout)));
        }

        foreach (var step in steps)
        {
            try
            {
                await step.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException error) when (error.ErrorCode is "NOAUTH" or "WRONGPASS" || error.Message.Contains("password", StringComparison.OrdinalIgnoreCase))
            {
                throw new RedisAuthenticationException(target.Password is null
                    ? $"Redis authentication failed at {settings.Endpoint}: the server requires a password and none is configured."
                    : $"Redis authentication failed at {settings.Endpoint}: the server rejected the configured credentials.");
            }
        }
    }

    /// <summary>
    /// Until the returned scope is disposed, commands this thread sends on this connection are queued but not written
    /// while <paramref name="batch"/> holds them back; disposing it writes them. A batch of replies holds its callers'
    /// next commands back this way, to send them at once.
    /// </summary>
    internal DeferredWrites DeferWrites(RedisCompletionBatch batch)
    {
        var previous = t_deliveringBatch;
        t_deliveringBatch = batch;
        return new DeferredWrites(this, previous);
    }

    /// <summary>
    /// Writes the pending commands unless another thread is writing, which then sees them before it lets go.
    /// The writer is whichever thread sends a command (or ends a batch) while nobody writes: a command costs no thread
    /// hop on its way out, and whatever was queued meanwhile goes in the same send.
    /// </summary>
    internal void Write()
    {
        // Nothing to write, and no failure to finish.
        if (_pending.IsEmpty && _failure is null)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0 && TryWriteSynchronously())
        {
            StopWriting();
        }
    }

    /// <summary>
    /// Writes and flushes until nothing is pending; false when a flush is still under way, whose completion then goes
    /// on as the writer (<see cref="ContinueWriting"/>).
    /// </summary>
    private bool TryWriteSynchronously()
    {
        bool drained;
        do
        {
            drained = EncodePending();
            if (_failure is not null)
            {
                return true;
            }

            try
            {
                _pendingFlush = _output.FlushAsync(_shutdown.Token);
            }
            catch (Exception exception)
            {
                Fail(exception);
                return true;
            }

            if (!_pendingFlush.IsCompleted)
            {
                _pendingFlush.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_continueWriting);
                return false;
            }

            EndFlush();
        }
        while (!drained && _failure is null);

        return true;
    }

    /// <summary>
    /// Encodes pending commands until none is left (true) or the buffer is worth flushing first (false). Only the writer
    /// calls it: so a command is always in exactly one of the pending queue, the in-flight queue or the failed, even when
    /// the connection fails meanwhile.
    /// </summary>
    private bool EncodePending()
    {
        try
        {
            while (_failure is null && _pending.TryDequeue(out var command))
            {
                // Registered before its bytes reach the socket, so the reader always finds it.
                _inFlight.Enqueue(command);
                RespWriter.WriteCommand(_output, command.Name, command.Arguments);
                if (_output.UnflushedBytes > FlushThreshold)
                {
                    return false;
                }
            }
        }
        catch (Exception exception)
        {
            Fail(exception);
        }

        return true;
    }

    private void EndFlush()
    {
        try
        {
            _pendingFlush.GetAwaiter().GetResult();
        }
        catch (Exception exception)
        {
            Fail(exception);
        }
    }

    /// <summary>Runs where a flush completed, as the writer: writes what was queued meanwhile, then lets go.</summary>
    private void ContinueWriting()
    {
        EndFlush();
        if (_failure is null && !_pending.IsEmpty && !TryWriteSynchronously())
        {
            return;
        }

        StopWriting();
    }

    /// <summary>Lets go of the writer role, first failing what is left if the connection failed.</summary>
    private void StopWriting()
    {
        if (_failure is not null)
        {
            FailPending();
            if (!_outputCompleted)
            {
                _outputCompleted = true;
                _output.Complete(_failure);
            }
        }

        // A full fence: a command queued, or a failure recorded, while this thread held the role is seen below.
        Interlocked.Exchange(ref _writing, 0);
        if (!_pending.IsEmpty || (_failure is not null && !_outputCompleted))
        {
            // On a work item rather than in a loop: this thread may be a caller's, not to be kept writing for others.
            ThreadPool.UnsafeQueueUserWorkItem(static connection => connection.Write(), this, preferLocal: false);
        }
    }

    private void StartReading()
    {
        try
        {
            if (!TryReadSynchronously())
            {
                return;
            }
        }
        catch (Exception exception)
        {
            StopReading(exception, default);
            return;
        }

        ContinueReading();
    }

    private void StopReading(Exception reason, CommandList answered)
    {
        // The commands already matched have their replies; the rest fail with the connection.
        Fail(reason);
        Deliver(answered);
        _input.Complete();
        _readerStopped.TrySetResult();
    }

    /// <summary>
    /// Starts the next read; true when it completed at once, else its completion continues <see cref="ContinueReading"/>.
    /// </summary>
    private bool TryReadSynchronously()
    {
        _pendingRead = _input.ReadAsync(_shutdown.Token);
        if (_pendingRead.IsCompleted)
        {
            return true;
        }

        _pendingRead.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_continueReading);
        return false;
    }

    /// <summary>
    /// Runs on the pool thread that completed a read. It matches the replies read, starts the next read, and then, if
    /// that read is still pending, completes the commands on this thread: the reader has moved on to whichever thread
    /// completes that read, so a continuation that blocks here cannot stop replies from being read. When more data is
    /// already there, this thread keeps reading and the commands go to a work item.
    /// </summary>
    private void ContinueReading()
    {
        var answered = default(CommandList);
        try
        {
            while (true)
            {
                answered = default;
                List<RedisResult>? pushes = null;
                var read = _pendingRead.GetAwaiter().GetResult();
                var buffer = read.Buffer;
                lock (_matching)
                {
                    try
                    {
                        // Once the connection has failed its commands are failed too: later replies belong to none of them.
                        while (_failure is null && RespReader.TryRead(ref buffer, out var reply))
                        {
                            Match(reply, ref answered, ref pushes);
                        }
                    }
                    finally
                    {
                        // Even when a bad reply stops the matching: the commands matched before it have their replies.
                        answered.Register(this);
                    }
                }

                // Outside the lock: a handler that blocks must not keep the watcher from failing overdue commands.
                if (pushes is not null)
                {
                    foreach (var push in pushes)
                    {
                        _pushHandler!(push);
                    }
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    throw new RedisConnectionException($"Redis at {_endpoint} closed the connection.");
                }

                if (!TryReadSynchronously())
                {
                    break;
                }

                Deliver(answered);
            }
        }
        catch (Exception exception)
        {
            StopReading(exception, answered);
            return;
        }

        DeliverHere(answered);
    }

    private void Match(RedisResult reply, ref CommandList answered, ref List<RedisResult>? pushes)
    {
        if (_pushHandler is not null && IsPushMessage(reply))
        {
            (pushes ??= []).Add(reply);
            return;
        }

        if (!_inFlight.TryDequeue(out var command))
        {
            throw new RedisProtocolException("Received a reply with no command waiting for it.");
        }

        command.SetReply(reply);
        answered.Add(command);
    }

    /// <summary>Completes the commands on a work item.</summary>
    private static void Deliver(CommandList commands)
    {
        if (commands.Batch is not null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(commands.Batch, preferLocal: false);
        }
        else if (commands.First is not null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(commands.First, preferLocal: false);
        }
    }

    /// <summary>Completes the commands on this thread, which is no longer the reader.</summary>
    private static void DeliverHere(CommandList commands)
    {
        if (commands.Batch is not null)
        {
            commands.Batch.Execute();
        }
        else if (commands.First is not null)
        {
            // As a batch does: the continuation must not leave its async-local state to this thread's next work.
            var context = ExecutionContext.Capture();
            commands.First.Deliver();
            if (context is not null)
            {
                ExecutionContext.Restore(context);
            }
        }
    }

    private static bool IsPushMessage(RedisResult reply)
    {
        if (reply.Kind != RedisResultKind.Array)
        {
            return false;
        }

        var elements = reply.AsArray();
        return elements.Count >= 3 && elements[0].Kind == RedisResultKind.BulkString &&
            elements[0].AsString() is "message" or "pmessage";
    }

    /// <summary>
    /// Every few milliseconds: rescues completion batches a continuation has stalled, and checks for a command without
    /// a reply past its timeout. Replies arrive in order, so only the oldest command can be the first to run late;
    /// checking it here costs one timer per connection instead of one per command. Runs on after the connection
    /// fails, until every command of the batches already read is claimed by a runner: they hold replies their callers
    /// may be waiting for.
    /// </summary>
    private async Task WatchAsync(TimeSpan commandTimeout)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(commandTimeout.Ticks / 10, TimeSpan.FromMilliseconds(5).Ticks, TimeSpan.FromMilliseconds(20).Ticks));
        using var timer = new PeriodicTimer(period);
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            var timedOut = false;
            bool stalled;
            int newlyStalled;
            lock (_matching)
            {
                var now = System.Diagnostics.Stopwatch.GetTimestamp();
                (stalled, newlyStalled) = RescueStalledBatches(now);
                if (_failure is not null)
                {
                    // Checked under the lock, so no batch can be registered after this: once it fails, the reader
                    // matches nothing more. A batch whose commands are all claimed needs no rescue: their runners
                    // deliver them, however long a continuation takes.
                    if (_deliveringBatches.TrueForAll(static batch => batch.IsClaimed))
                    {
                        return;
                    }

                    continue;
                }

                if ((_inFlight.TryPeek(out var oldest) || _pending.TryPeek(out oldest)) && oldest.IsOverdue(now))
                {
                    // Judged and recorded under the lock, so that its reply cannot be matched in between. The command
                    // reports the timeout, and the others the connection lost through it.
                    var timeout = new RedisTimeoutException(
                        $"Redis command {oldest.Name} got no reply from {_endpoint} within {oldest.Timeout}; the connection will be re-established.");
                    oldest.SetFailure(timeout);
                    timedOut = RecordFailure(timeout);
                }
            }

            if (newlyStalled > 0)
            {
                // Outside the lock, as listeners run inside Add.
                RedisTelemetry.CompletionStalls.Add(newlyStalled, _serverTags);
            }

            if (timedOut)
            {
                // Which writes, failing whatever a batch held back.
                ShutDown();
            }
            else if (stalled)
            {
                // A stalled continuation may be waiting for a command it sent, which its batch held back.
                Write();
            }
        }
    }

    /// <returns>Whether any batch is stalled, and how many were found stalled for the first time.</returns>
    private (bool Stalled, int NewlyStalled) RescueStalledBatches(long now)
    {
        _deliveringBatches.RemoveAll(static batch => batch.IsFinished);
        var stalled = false;
        var newlyStalled = 0;
        foreach (var batch in _deliveringBatches)
        {
            var wasStalled = batch.HasStalled;
            if (batch.RescueIfStalled(now))
            {
                stalled = true;
                newlyStalled += wasStalled ? 0 : 1;
            }
        }

        return (stalled, newlyStalled);
    }

    private void Fail(Exception reason)
    {
        if (RecordFailure(reason))
        {
            ShutDown();
        }
    }

    /// <summary>Records why the connection failed; false if it had failed already. Call <see cref="ShutDown"/> next.</summary>
    private bool RecordFailure(Exception reason)
    {
        var failure = reason is RedisException ? reason : new RedisConnectionException($"Redis connection to {_endpoint} failed: {reason.Message}", reason);
        return Interlocked.CompareExchange(ref _failure, failure, null) is null;
    }

    /// <summary>Stops the socket and fails the commands still waiting, once the failure is recorded.</summary>
    private void ShutDown()
    {
        try
        {
            _shutdown.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: nothing left to stop.
        }

        _stream.Dispose();
        _socket.Dispose();
        // The writer fails what is still pending, in the pending queue or on its way to the in-flight one.
        Write();
        _closed.TrySetResult(_failure!);
    }

    /// <summary>
    /// Fails the commands still waiting, each on a work item of its own: a failure is rare, and no batch would be left
    /// for the stopped watcher to rescue. Called by the writer only.
    /// </summary>
    private void FailPending()
    {
        var lost = ConnectionLost();
        lock (_matching)
        {
            while (_inFlight.TryDequeue(out var command))
            {
                command.SetFailure(lost);
                ThreadPool.UnsafeQueueUserWorkItem(command, preferLocal: false);
            }
        }

        while (_pending.TryDequeue(out var queued))
        {
            queued.SetFailure(lost);
            ThreadPool.UnsafeQueueUserWorkItem(queued, preferLocal: false);
        }
    }

    private RedisConnectionException ConnectionLost() =>
        new($"The Redis connection to {_endpoint} was lost before the reply arrived.", _failure);

    internal readonly struct DeferredWrites(RedisConnection connection, RedisCompletionBatch? previous) : IDisposable
    {
        public void Dispose()
        {
            t_deliveringBatch = previous;
            connection.Write();
        }
    }

    /// <summary>The commands answered by one read: one alone, or several in a batch. Allocates nothing for the common read of one reply.</summary>
    private struct CommandList
    {
        public RedisCommand? First;
        public RedisCompletionBatch? Batch;
        private RedisCommand[]? _all;
        private int _count;

        public void Add(RedisCommand command)
        {
            if (_count == 0)
            {
                First = command;
            }
            else
            {
                if (_all is null)
                {
                    _all = new RedisCommand[8];
                    _all[0] = First!;
                }
                else if (_count == _all.Length)
                {
                    Array.Resize(ref _all, _count * 2);
                }

                _all[_count] = command;
            }

            _count++;
        }

        /// <summary>Several commands become a batch the watcher looks after. Call under the connection's matching lock.</summary>
        public void Register(RedisConnection connection)
        {
            if (_count > 1)
            {
                Batch = new RedisCompletionBatch(connection, _all!, _count);
                connection._deliveringBatches.Add(Batch);
            }
        }
    }
}

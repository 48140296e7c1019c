using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Rag.Core.Redis;

/// <summary>
/// One socket shared by many callers. Commands are queued; a single writer loop encodes them in batches and a
/// single reader loop matches replies to commands in FIFO order, then hands each read's commands to one work item
/// that completes them (<see cref="RedisCompletionBatch"/>). Any failure (socket error, protocol error, timeout)
/// kills the whole connection and fails every command on it: once one reply is lost, the rest would be misaligned.
/// The owner then opens a new connection.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    private const int FlushThreshold = 64 * 1024;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Channel<RedisCommand> _queue = Channel.CreateUnbounded<RedisCommand>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    private readonly ConcurrentQueue<RedisCommand> _inFlight = new();

    // Held while one read's replies are matched to commands and while a failure takes the commands still waiting:
    // without it, a failure on another thread could take a command whose reply the reader is matching, and the reader
    // would hand that reply to the next command. One uncontended lock per read, not per reply.
    private readonly Lock _matching = new();

    // Batches whose commands may not all be delivered yet, for the watcher to rescue if a continuation stalls them.
    private readonly List<RedisCompletionBatch> _deliveringBatches = [];
    private readonly CancellationTokenSource _shutdown = new();
    private readonly TaskCompletionSource<Exception> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Action<RedisResult>? _pushHandler;
    private readonly string _endpoint;
    private Task _loops = Task.CompletedTask;
    private volatile Exception? _failure;

    private RedisConnection(Socket socket, Stream stream, string endpoint, Action<RedisResult>? pushHandler)
    {
        _socket = socket;
        _stream = stream;
        _endpoint = endpoint;
        _pushHandler = pushHandler;
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(minimumReadSize: 16 * 1024));
        _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024));
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

            connection = new RedisConnection(socket, stream, settings.Endpoint, pushHandler);
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
        if (!_queue.Writer.TryWrite(command))
        {
            command.SetFailure(ConnectionLost());
            ThreadPool.UnsafeQueueUserWorkItem(command, preferLocal: false);
        }

        return command.Task;
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new RedisConnectionException($"The Redis connection to {_endpoint} was closed."));
        try
        {
            await _loops.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loops' failure was already delivered to every pending command.
        }

        _shutdown.Dispose();
    }

    private void Start(TimeSpan commandTimeout)
    {
        _loops = Task.WhenAll(Task.Run(WriteLoopAsync), Task.Run(ReadLoopAsync));

        // Not awaited by DisposeAsync: it outlives the connection while callers' continuations still run.
        _ = Task.Run(() => WatchAsync(commandTimeout));
    }

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

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_shutdown.Token).ConfigureAwait(false))
            {
                // One flush (one send) per batch of whatever callers queued meanwhile.
                while (WriteQueuedCommands(reader))
                {
                    await _output.FlushAsync(_shutdown.Token).ConfigureAwait(false);
                }

                await _output.FlushAsync(_shutdown.Token).ConfigureAwait(false);
            }
        }
        catch (Exception exception)
        {
            Fail(exception);
        }
        finally
        {
            // A command taken off the queue while the connection failed must not be left waiting. Only this loop
            // reads the queue (it is single-reader), so only this loop fails the commands still in it.
            FailPending(drainQueue: true);

            // The connection has failed by now; completing with the reason skips flushing to a dead stream.
            await _output.CompleteAsync(_failure).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Encodes queued commands until the queue is empty (false) or the buffer is worth flushing first (true).
    /// Not part of the async loop, so the loop's state machine does not keep the last command alive.
    /// </summary>
    private bool WriteQueuedCommands(ChannelReader<RedisCommand> reader)
    {
        while (reader.TryRead(out var command))
        {
            // Registered before its bytes reach the socket, so the reader always finds it.
            _inFlight.Enqueue(command);
            RespWriter.WriteCommand(_output, command.Name, command.Arguments);
            if (_output.UnflushedBytes > FlushThreshold)
            {
                return true;
            }
        }

        return false;
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var read = await _input.ReadAsync(_shutdown.Token).ConfigureAwait(false);
                var buffer = read.Buffer;
                var answered = new CommandList();
                lock (_matching)
                {
                    // Once the connection has failed its commands are failed too: later replies belong to none of them.
                    while (_failure is null && RespReader.TryRead(ref buffer, out var reply))
                    {
                        Match(reply, ref answered);
                    }
                }

                _input.AdvanceTo(buffer.Start, buffer.End);
                Deliver(answered);
                if (read.IsCompleted)
                {
                    throw new RedisConnectionException($"Redis at {_endpoint} closed the connection.");
                }
            }
        }
        catch (Exception exception)
        {
            Fail(exception);
        }
        finally
        {
            await _input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void Match(RedisResult reply, ref CommandList answered)
    {
        if (_pushHandler is not null && IsPushMessage(reply))
        {
            _pushHandler(reply);
            return;
        }

        if (!_inFlight.TryDequeue(out var command))
        {
            throw new RedisProtocolException("Received a reply with no command waiting for it.");
        }

        command.SetReply(reply);
        answered.Add(command);
    }

    /// <summary>Completes the commands on a work item: one command is its own, several share a batch.</summary>
    private void Deliver(CommandList commands)
    {
        if (commands.Count == 1)
        {
            ThreadPool.UnsafeQueueUserWorkItem(commands.First!, preferLocal: false);
        }
        else if (commands.Count > 1)
        {
            var batch = new RedisCompletionBatch(commands.All!, commands.Count);
            lock (_deliveringBatches)
            {
                _deliveringBatches.Add(batch);
            }

            ThreadPool.UnsafeQueueUserWorkItem(batch, preferLocal: false);
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
    /// fails, until the batches already read are delivered: they hold replies their callers may be waiting for.
    /// </summary>
    private async Task WatchAsync(TimeSpan commandTimeout)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(commandTimeout.Ticks / 10, TimeSpan.FromMilliseconds(5).Ticks, TimeSpan.FromMilliseconds(20).Ticks));
        using var timer = new PeriodicTimer(period);
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            var delivering = RescueStalledBatches();
            if (_failure is not null)
            {
                if (delivering == 0)
                {
                    return;
                }

                continue;
            }

            var now = System.Diagnostics.Stopwatch.GetTimestamp();
            if ((_inFlight.TryPeek(out var oldest) || _queue.Reader.TryPeek(out oldest)) && oldest.IsOverdue(now))
            {
                // Recorded before the connection fails, so that this command reports the timeout and the others the
                // connection lost through it.
                var timeout = new RedisTimeoutException(
                    $"Redis command {oldest.Name} got no reply from {_endpoint} within {oldest.Timeout}; the connection will be re-established.");
                oldest.SetFailure(timeout);
                Fail(timeout);
            }
        }
    }

    /// <returns>How many batches are still being delivered.</returns>
    private int RescueStalledBatches()
    {
        lock (_deliveringBatches)
        {
            _deliveringBatches.RemoveAll(static batch => batch.IsFinished);
            foreach (var batch in _deliveringBatches)
            {
                batch.RescueIfStalled();
            }

            return _deliveringBatches.Count;
        }
    }

    private void Fail(Exception reason)
    {
        var failure = reason is RedisException ? reason : new RedisConnectionException($"Redis connection to {_endpoint} failed: {reason.Message}", reason);
        if (Interlocked.CompareExchange(ref _failure, failure, null) is not null)
        {
            return;
        }

        _queue.Writer.TryComplete();
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
        FailPending(drainQueue: false);
        _closed.TrySetResult(failure);
    }

    /// <summary>
    /// Fails the commands still waiting, each on a work item of its own: a failure is rare, and no batch would be left
    /// for the stopped watcher to rescue.
    /// </summary>
    private void FailPending(bool drainQueue)
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

        while (drainQueue && _queue.Reader.TryRead(out var queued))
        {
            queued.SetFailure(lost);
            ThreadPool.UnsafeQueueUserWorkItem(queued, preferLocal: false);
        }
    }

    private RedisConnectionException ConnectionLost() =>
        new($"The Redis connection to {_endpoint} was lost before the reply arrived.", _failure);

    /// <summary>A list that allocates nothing for the common read of one reply.</summary>
    private struct CommandList
    {
        public RedisCommand? First;
        public RedisCommand[]? All;
        public int Count;

        public void Add(RedisCommand command)
        {
            if (Count == 0)
            {
                First = command;
            }
            else
            {
                if (All is null)
                {
                    All = new RedisCommand[8];
                    All[0] = First!;
                }
                else if (Count == All.Length)
                {
                    Array.Resize(ref All, Count * 2);
                }

                All[Count] = command;
            }

            Count++;
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Rag.Core.Redis;

/// <summary>
/// Owns the shared pipelined connection, a small pool of connections for blocking commands, and the pub/sub
/// subscriber. Connections are opened lazily; after a failed attempt, further attempts wait out an exponential
/// backoff and commands fail fast in the meantime instead of piling up.
/// </summary>
internal sealed class RedisClient : IRedisClient
{
    private readonly RedisConnectionSettings _settings;
    private readonly RedisClientOptions _options;
    private readonly ILogger _logger;
    private readonly ReconnectBackoff _backoff;
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly ConcurrentQueue<RedisConnection> _idleBlockingConnections = new();
    private readonly RedisSubscriber _subscriber;
    private RedisConnection? _connection;
    private bool _connectedBefore;
    private long _nextAttemptAt;
    private Exception? _lastConnectFailure;
    private volatile bool _disposed;

    public RedisClient(RedisConnectionString connectionString, RedisClientOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(connectionString);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _settings = RedisConnectionSettings.Create(connectionString, options);
        _logger = logger;
        _backoff = new ReconnectBackoff(options.ReconnectBaseDelay, options.ReconnectMaxDelay);
        _subscriber = new RedisSubscriber(_settings, options, logger);
    }

    public Task<RedisResult> ExecuteAsync(string command, RedisValue[] arguments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(arguments);

        // The hot path hands out the command's own task: no async state machine and no second task per command.
        // The command ends its span and records its metrics itself.
        var connection = _connection;
        if (connection is not null && connection.IsAlive)
        {
            return Send(connection, command, arguments, _settings.CommandTimeout, ownSpan: true, cancellationToken);
        }

        return ConnectAndExecuteAsync(command, arguments, cancellationToken);
    }

    public async Task<RedisResult> ExecuteBlockingAsync(string command, RedisValue[] arguments, TimeSpan blockTime, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(arguments);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var activity = RedisTelemetry.StartCommand(command);
        var started = Stopwatch.GetTimestamp();
        RedisConnection? connection = null;
        try
        {
            while (_idleBlockingConnections.TryDequeue(out var idle))
            {
                if (idle.IsAlive)
                {
                    connection = idle;
                    break;
                }

                await idle.DisposeAsync().ConfigureAwait(false);
            }

            try
            {
                connection ??= await RedisConnection.ConnectAsync(_settings, pushHandler: null, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The command never existed to record its own failure.
                RedisTelemetry.RecordCommand(command, started, failed: true);
                throw;
            }

            var result = await Send(connection, command, arguments, _settings.CommandTimeout + blockTime, ownSpan: false, cancellationToken).ConfigureAwait(false);
            if (!_disposed && _idleBlockingConnections.Count < _options.BlockingConnectionPoolSize)
            {
                _idleBlockingConnections.Enqueue(connection);
                connection = null;

                // Disposed since the check: its drain may have run before this connection was pooled.
                if (_disposed)
                {
                    await DisposeIdleBlockingConnectionsAsync().ConfigureAwait(false);
                }
            }

            return result;
        }
        catch (Exception exception)
        {
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            throw;
        }
        finally
        {
            // A connection whose command was cancelled or failed may still owe a reply: never reuse it.
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    public Task<IAsyncDisposable> SubscribeAsync(string channel, Action<RedisMessage> handler, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _subscriber.SubscribeAsync(channel, handler, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Interlocked.MemoryBarrier();
        var connection = Volatile.Read(ref _connection);
        await _subscriber.DisposeAsync().ConfigureAwait(false);
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        await DisposeIdleBlockingConnectionsAsync().ConfigureAwait(false);
    }

    private async Task DisposeIdleBlockingConnectionsAsync()
    {
        while (_idleBlockingConnections.TryDequeue(out var idle))
        {
            await idle.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <param name="ownSpan">False when the caller's span already covers the command.</param>
    private static Task<RedisResult> Send(
        RedisConnection connection, string command, RedisValue[] arguments, TimeSpan timeout, bool ownSpan, CancellationToken cancellationToken)
    {
        var pending = new RedisCommand(command, arguments, timeout);
        if (ownSpan)
        {
            pending.StartSpan();
        }

        pending.CancelWith(cancellationToken);

        // A caller that gave up before it called needs no reply.
        return pending.Task.IsCompleted ? pending.Task : connection.SendAsync(pending);
    }

    /// <summary>The path for when there is no live connection: the span covers connecting too.</summary>
    private async Task<RedisResult> ConnectAndExecuteAsync(string command, RedisValue[] arguments, CancellationToken cancellationToken)
    {
        using var activity = RedisTelemetry.StartCommand(command);
        var started = Stopwatch.GetTimestamp();
        try
        {
            RedisConnection connection;
            try
            {
                connection = await GetConnectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The command never existed to record its own failure.
                RedisTelemetry.RecordCommand(command, started, failed: true);
                throw;
            }

            return await Send(connection, command, arguments, _settings.CommandTimeout, ownSpan: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            throw;
        }
    }

    private async Task<RedisConnection> GetConnectionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = _connection;
            if (current is not null && current.IsAlive)
            {
                return current;
            }

            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), Volatile.Read(ref _nextAttemptAt));
            if (wait > TimeSpan.Zero)
            {
                throw new RedisConnectionException(
                    $"Redis at {_settings.Endpoint} is unavailable; the next connection attempt is in {wait.TotalMilliseconds:0} ms.",
                    _lastConnectFailure);
            }

            if (current is not null)
            {
                await current.DisposeAsync().ConfigureAwait(false);
                _connection = null;
            }

            try
            {
                var connection = await RedisConnection.ConnectAsync(_settings, pushHandler: null, cancellationToken).ConfigureAwait(false);
                _backoff.Reset();
                _lastConnectFailure = null;
                if (_connectedBefore)
                {
                    RedisTelemetry.Reconnects.Add(1);
                }

                _connectedBefore = true;

                // Published with a full fence before _disposed is read, as DisposeAsync fences between writing _disposed
                // and reading _connection: of the two, at least one sees the other and closes the connection.
                Interlocked.Exchange(ref _connection, connection);
                if (_disposed)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    throw new ObjectDisposedException(nameof(RedisClient));
                }

                RedisLog.Connected(_logger, _settings.Endpoint);
                _ = ObserveLossAsync(connection);
                return connection;
            }
            catch (RedisException exception)
            {
                var delay = _backoff.NextDelay();
                _lastConnectFailure = exception;
                Volatile.Write(ref _nextAttemptAt, Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency));
                RedisLog.ConnectFailed(_logger, _settings.Endpoint, delay, exception);
                throw;
            }
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task ObserveLossAsync(RedisConnection connection)
    {
        var reason = await connection.Closed.ConfigureAwait(false);
        if (_disposed)
        {
            return;
        }

        RedisLog.ConnectionLost(_logger, _settings.Endpoint, reason);
    }
}

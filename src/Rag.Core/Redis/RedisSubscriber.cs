using Microsoft.Extensions.Logging;

namespace Rag.Core.Redis;

/// <summary>
/// The pub/sub connection. A connection in subscribe mode cannot run ordinary commands, so it is separate from the
/// shared one. When it drops, a background loop reconnects with backoff and subscribes to every channel again.
/// </summary>
internal sealed class RedisSubscriber : IAsyncDisposable
{
    private readonly RedisConnectionSettings _settings;
    private readonly ILogger _logger;
    private readonly ReconnectBackoff _backoff;
    private readonly Dictionary<string, List<Subscription>> _channels = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private RedisConnection? _connection;

    public RedisSubscriber(RedisConnectionSettings settings, RedisClientOptions options, ILogger logger)
    {
        _settings = settings;
        _logger = logger;
        _backoff = new ReconnectBackoff(options.ReconnectBaseDelay, options.ReconnectMaxDelay);
    }

    public async Task<IAsyncDisposable> SubscribeAsync(string channel, Action<RedisMessage> handler, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(channel);
        ArgumentNullException.ThrowIfNull(handler);
        var subscription = new Subscription(this, channel, handler);
        bool firstForChannel;
        lock (_channels)
        {
            if (!_channels.TryGetValue(channel, out var handlers))
            {
                _channels[channel] = handlers = [];
            }

            firstForChannel = handlers.Count == 0;
            handlers.Add(subscription);
        }

        try
        {
            var connection = await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
            if (firstForChannel)
            {
                await SendAsync(connection, "SUBSCRIBE", channel).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return subscription;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync().ConfigureAwait(false);

        // After a full fence (CancelAsync's): see EnsureConnectedAsync.
        var connection = Volatile.Read(ref _connection);
        if (connection is not null)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<RedisConnection> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        await _connectLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            if (_connection is { IsAlive: true })
            {
                return _connection;
            }

            var connection = await RedisConnection.ConnectAsync(_settings, OnPush, cancellationToken).ConfigureAwait(false);
            string[] channels;
            lock (_channels)
            {
                channels = [.. _channels.Where(entry => entry.Value.Count > 0).Select(entry => entry.Key)];
            }

            try
            {
                await Task.WhenAll(channels.Select(channel => SendAsync(connection, "SUBSCRIBE", channel))).ConfigureAwait(false);

                // Published with a full fence before the disposal is checked, as DisposeAsync fences between cancelling
                // and reading _connection: of the two, at least one sees the other and closes the connection.
                Interlocked.Exchange(ref _connection, connection);
                ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            _ = ReconnectAfterLossAsync(connection, resubscribedCount: channels.Length);
            return connection;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    private async Task ReconnectAfterLossAsync(RedisConnection connection, int resubscribedCount)
    {
        if (_backoff.Failures > 0)
        {
            RedisTelemetry.Reconnects.Add(1);
            RedisLog.Resubscribed(_logger, resubscribedCount);
        }

        _backoff.Reset();
        var reason = await connection.Closed.ConfigureAwait(false);
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        RedisLog.ConnectionLost(_logger, _settings.Endpoint, reason);
        while (!_disposed.IsCancellationRequested)
        {
            var delay = _backoff.NextDelay();
            try
            {
                await Task.Delay(delay, _disposed.Token).ConfigureAwait(false);
                await EnsureConnectedAsync(_disposed.Token).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
            {
                return;
            }
            catch (RedisException exception)
            {
                RedisLog.ConnectFailed(_logger, _settings.Endpoint, delay, exception);
            }
        }
    }

    private Task<RedisResult> SendAsync(RedisConnection connection, string command, string channel) =>
        connection.SendAsync(new RedisCommand(command, [channel], _settings.CommandTimeout));

    private void OnPush(RedisResult push)
    {
        // ["message", channel, payload] or ["pmessage", pattern, channel, payload]
        var parts = push.AsArray();
        var channel = parts[^2].AsString()!;
        var message = new RedisMessage(channel, parts[^1].AsBytes() ?? []);
        Subscription[] handlers;
        lock (_channels)
        {
            if (!_channels.TryGetValue(channel, out var list) || list.Count == 0)
            {
                return;
            }

            handlers = [.. list];
        }

        foreach (var subscription in handlers)
        {
            try
            {
                subscription.Handler(message);
            }
            catch (Exception exception)
            {
                RedisLog.SubscriptionHandlerFailed(_logger, channel, exception);
            }
        }
    }

    private async Task UnsubscribeAsync(Subscription subscription)
    {
        bool lastForChannel;
        lock (_channels)
        {
            lastForChannel = _channels.TryGetValue(subscription.Channel, out var handlers) &&
                handlers.Remove(subscription) && handlers.Count == 0;
        }

        var connection = _connection;
        if (lastForChannel && connection is { IsAlive: true })
        {
            try
            {
                await SendAsync(connection, "UNSUBSCRIBE", subscription.Channel).ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // Connection gone: the channel is not resubscribed on reconnect since it has no handlers left.
            }
        }
    }

    private sealed class Subscription(RedisSubscriber owner, string channel, Action<RedisMessage> handler) : IAsyncDisposable
    {
        private int _disposed;

        public string Channel { get; } = channel;

        public Action<RedisMessage> Handler { get; } = handler;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _disposed, 1) == 0 ? new ValueTask(owner.UnsubscribeAsync(this)) : ValueTask.CompletedTask;
    }
}

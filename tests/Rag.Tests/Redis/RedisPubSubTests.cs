using System.Threading.Channels;
using Rag.Core.Redis;
using Rag.LocalHost.Processes;

namespace Rag.Tests.Redis;

public sealed class RedisPubSubTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task DeliversMessagesToEachHandlerUntilItUnsubscribes()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = RedisClientFactory.Create(server.ConnectionString);
        var first = Channel.CreateUnbounded<RedisMessage>();
        var second = Channel.CreateUnbounded<RedisMessage>();

        var firstSubscription = await client.SubscribeAsync("events", message => first.Writer.TryWrite(message));
        await using var secondSubscription = await client.SubscribeAsync("events", message => second.Writer.TryWrite(message));

        Assert.Equal(1, await client.PublishAsync("events", new byte[] { 1, 2, 3 }));
        var received = await first.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal("events", received.Channel);
        Assert.Equal(new byte[] { 1, 2, 3 }, received.Payload);
        Assert.Equal(new byte[] { 1, 2, 3 }, (await second.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Payload);

        await firstSubscription.DisposeAsync();
        await client.PublishAsync("events", "after");
        Assert.Equal("after", (await second.Reader.ReadAsync().AsTask().WaitAsync(Wait)).PayloadText);
        Assert.False(first.Reader.TryRead(out _));
        Assert.Equal(0, await client.PublishAsync("other-channel", "nobody"));
    }

    [Fact]
    public async Task AFailingHandlerDoesNotStopDelivery()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = RedisClientFactory.Create(server.ConnectionString);
        var received = Channel.CreateUnbounded<string>();

        await using var subscription = await client.SubscribeAsync("events", message =>
        {
            received.Writer.TryWrite(message.PayloadText);
            throw new InvalidOperationException("handler bug");
        });

        await client.PublishAsync("events", "one");
        await client.PublishAsync("events", "two");

        Assert.Equal("one", await received.Reader.ReadAsync().AsTask().WaitAsync(Wait));
        Assert.Equal("two", await received.Reader.ReadAsync().AsTask().WaitAsync(Wait));
    }

    [Fact]
    public async Task AHandlerThatBlocksDoesNotKeepTheSubscriptionConnectionFromTimingOut()
    {
        await using var server = await RedisServer.StartAsync();
        var options = new RedisClientOptions { CommandTimeout = TimeSpan.FromMilliseconds(300) };
        await using var client = RedisClientFactory.Create(server.ConnectionString, options);
        using var handlerBlocked = new ManualResetEventSlim();
        using var releaseHandler = new ManualResetEventSlim();
        await using var blocking = await client.SubscribeAsync("blocking", _ =>
        {
            handlerBlocked.Set();
            releaseHandler.Wait(TimeSpan.FromSeconds(30));
        });

        await client.PublishAsync("blocking", "stop reading");
        Assert.True(handlerBlocked.Wait(Wait));
        try
        {
            // The handler holds up the connection's reads, so this SUBSCRIBE's reply is not read: it must still time
            // out, and the connection be replaced, rather than wait for the handler.
            var stuck = client.SubscribeAsync("other", _ => { });
            await Assert.ThrowsAsync<RedisTimeoutException>(() => stuck.WaitAsync(TimeSpan.FromSeconds(5)));
        }
        finally
        {
            releaseHandler.Set();
        }
    }

    [Fact]
    public async Task ResubscribesAfterTheServerRestarts()
    {
        await using var server = await RedisServer.StartAsync();
        var options = new RedisClientOptions { ReconnectBaseDelay = TimeSpan.FromMilliseconds(20), ReconnectMaxDelay = TimeSpan.FromMilliseconds(200) };
        await using var client = RedisClientFactory.Create(server.ConnectionString, options);
        var received = Channel.CreateUnbounded<string>();
        await using var subscription = await client.SubscribeAsync("events", message => received.Writer.TryWrite(message.PayloadText));

        await server.RestartAsync(clearData: true);

        // Publish until the resubscribed connection is back and receives one.
        using var timeout = new CancellationTokenSource(Wait);
        while (true)
        {
            try
            {
                if (await client.PublishAsync("events", "back", timeout.Token) > 0)
                {
                    break;
                }
            }
            catch (RedisConnectionException)
            {
                // The publishing connection is reconnecting too.
            }

            await Task.Delay(20, timeout.Token);
        }

        Assert.Equal("back", await received.Reader.ReadAsync(timeout.Token));
    }
}

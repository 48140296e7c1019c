using System.Diagnostics;
using Rag.Core.Redis;
using Rag.LocalHost.Processes;

namespace Rag.Tests.Redis;

public sealed class RedisFailureTests
{
    private const string Password = "correct-horse-battery";

    [Fact]
    public async Task WrongPasswordFailsAuthenticationWithoutRevealingIt()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = Password });
        await using var client = RedisClientFactory.Create($"{server.Host}:{server.Port},password=not-the-password");

        var error = await Assert.ThrowsAsync<RedisAuthenticationException>(() => client.PingAsync());

        Assert.Contains("authentication failed", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("not-the-password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingPasswordFailsAuthenticationSayingOneIsRequired()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = Password });
        await using var client = RedisClientFactory.Create($"{server.Host}:{server.Port}");

        var error = await Assert.ThrowsAsync<RedisAuthenticationException>(() => client.PingAsync());

        Assert.Contains("authentication failed", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("requires a password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RightPasswordAndDatabaseSelectionWork()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Password = Password });
        await using var client = RedisClientFactory.Create(server.ConnectionString + ",defaultDatabase=2");
        await using var database0 = RedisClientFactory.Create(server.ConnectionString);

        await client.SetAsync("only-in-db2", "yes");

        Assert.Equal("yes", await client.GetStringAsync("only-in-db2"));
        Assert.Null(await database0.GetStringAsync("only-in-db2"));
    }

    [Fact]
    public async Task ACommandThatGetsNoReplyTimesOutAndTheClientRecovers()
    {
        await using var server = await RedisServer.StartAsync();
        var options = new RedisClientOptions { CommandTimeout = TimeSpan.FromMilliseconds(300), ReconnectBaseDelay = TimeSpan.FromMilliseconds(10) };
        await using var client = RedisClientFactory.Create(server.ConnectionString, options);
        await using var admin = RedisClientFactory.Create(server.ConnectionString);
        await client.SetAsync("k", "v");

        // Holds every other client's commands for 1.5 s, as a stalled server would.
        await admin.ExecuteAsync("CLIENT", ["PAUSE", 1500, "ALL"]);
        var error = await Assert.ThrowsAsync<RedisTimeoutException>(() => client.GetAsync("k"));
        Assert.Contains("GET", error.Message, StringComparison.Ordinal);

        await admin.ExecuteAsync("CLIENT", ["UNPAUSE"]);
        Assert.Equal("v", await RetryAsync(() => client.GetStringAsync("k")));
    }

    [Fact]
    public async Task StoppedServerFailsCommandsFastAndTheSameClientRecoversAfterRestart()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Persistent = true });
        var options = new RedisClientOptions
        {
            CommandTimeout = TimeSpan.FromSeconds(20),
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(20),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
        };
        await using var client = RedisClientFactory.Create(server.ConnectionString, options);
        await client.SetAsync("survives", "restart");

        await server.StopAsync();
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAsync<RedisConnectionException>(() => client.GetAsync("survives"));
        await Assert.ThrowsAsync<RedisConnectionException>(() => client.GetAsync("survives"));
        watch.Stop();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"Failing took {watch.Elapsed}; it should not wait for the 20 s command timeout.");

        await server.RestartAsync();
        Assert.Equal("restart", await RetryAsync(() => client.GetStringAsync("survives")));
    }

    [Fact]
    public async Task InFlightCommandsFailFastWhenTheServerDies()
    {
        await using var server = await RedisServer.StartAsync();
        var options = new RedisClientOptions { CommandTimeout = TimeSpan.FromSeconds(20), ReconnectBaseDelay = TimeSpan.FromMilliseconds(20) };
        await using var client = RedisClientFactory.Create(server.ConnectionString, options);
        await using var admin = RedisClientFactory.Create(server.ConnectionString);
        await client.PingAsync();

        // Paused, the server holds the GET; killing it must fail the GET at once rather than after 20 s.
        await admin.ExecuteAsync("CLIENT", ["PAUSE", 15000, "ALL"]);
        var inFlight = client.GetAsync("k");
        await Task.Delay(100);
        server.Kill();

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => inFlight.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("lost", error.Message, StringComparison.Ordinal);

        await server.RestartAsync(clearData: true);
        Assert.Null(await RetryAsync(() => client.GetAsync("k")));
    }

    [Fact]
    public async Task ConnectionsFailingWhileRepliesArriveNeverHandACallerAnotherCallersReply()
    {
        // Timeouts fail the connection from the watcher's thread while the reader may be matching replies: every
        // caller must get its own reply or an error, never someone else's.
        await using var server = await RedisServer.StartAsync();
        var options = new RedisClientOptions { CommandTimeout = TimeSpan.FromMilliseconds(60), ReconnectBaseDelay = TimeSpan.FromMilliseconds(5) };
        await using var client = RedisClientFactory.Create(server.ConnectionString, options);
        await using var admin = RedisClientFactory.Create(server.ConnectionString);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var answered = 0;

        var callers = Enumerable.Range(0, 16).Select(caller => Task.Run(async () =>
        {
            var wrong = new List<string>();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var value = $"{caller}:{i}";
                try
                {
                    var echoed = (await client.ExecuteAsync("ECHO", [value])).AsString();
                    if (echoed != value)
                    {
                        wrong.Add($"{value} got {echoed}");
                    }

                    Interlocked.Increment(ref answered);
                }
                catch (RedisException)
                {
                    // A timeout or a lost connection: an error is a fair answer, another caller's reply is not.
                }
            }

            return wrong;
        }));
        var pauses = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await admin.ExecuteAsync("CLIENT", ["PAUSE", 70, "ALL"]);
                await Task.Delay(120);
            }
        });

        var results = await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(30));
        await pauses.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(results.SelectMany(wrong => wrong));
        Assert.True(answered > 0, "No ECHO was answered at all.");
    }

    [Fact]
    public async Task ACancelledCommandDoesNotMisalignLaterReplies()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = RedisClientFactory.Create(server.ConnectionString);
        await using var admin = RedisClientFactory.Create(server.ConnectionString);
        await client.SetAsync("a", "1");
        await client.SetAsync("b", "2");

        await admin.ExecuteAsync("CLIENT", ["PAUSE", 500, "ALL"]);
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetStringAsync("a", cancel.Token));
        }

        // The abandoned GET's reply still arrives first and must be discarded, not handed to this caller.
        Assert.Equal("2", await client.GetStringAsync("b").WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task ACommandWhoseTokenIsAlreadyCancelledIsNeverSent()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = RedisClientFactory.Create(server.ConnectionString);
        await client.PingAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        for (var i = 0; i < 20; i++)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.IncrementAsync("counter", cancellationToken: cancelled.Token));
        }

        Assert.Null(await client.GetAsync("counter"));
    }

    [Fact]
    public async Task ACompletedCommandIsNotKeptAliveByTheCallersLongLivedToken()
    {
        await using var server = await RedisServer.StartAsync();
        await using var client = RedisClientFactory.Create(server.ConnectionString);
        using var applicationLifetime = new CancellationTokenSource();
        await client.PingAsync(applicationLifetime.Token);

        var completed = await RunCommandsAsync(client, applicationLifetime.Token);

        // The connection's loops may still hold the last command they handled: make that one of these.
        await client.PingAsync();
        await client.PingAsync();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        // A cancellation registration left behind would keep every command (and its reply) reachable from the token.
        Assert.Equal(0, completed.Count(command => command.IsAlive));
        GC.KeepAlive(applicationLifetime);
    }

    [Fact]
    public async Task UnreachableServerIsAConnectionError()
    {
        await using var client = RedisClientFactory.Create($"127.0.0.1:{FreePort.GetFreeTcpPort()}");

        var error = await Assert.ThrowsAsync<RedisConnectionException>(() => client.PingAsync());

        Assert.Contains("127.0.0.1", error.Message, StringComparison.Ordinal);
    }

    private static async Task<WeakReference[]> RunCommandsAsync(IRedisClient client, CancellationToken cancellationToken)
    {
        var commands = Enumerable.Range(0, 100).Select(i => client.ExecuteAsync("ECHO", [i], cancellationToken)).ToArray();
        await Task.WhenAll(commands).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        return [.. commands.Select(command => new WeakReference(command))];
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> action)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            try
            {
                return await action();
            }
            catch (RedisException) when (!timeout.IsCancellationRequested)
            {
                await Task.Delay(20, timeout.Token);
            }
        }
    }
}

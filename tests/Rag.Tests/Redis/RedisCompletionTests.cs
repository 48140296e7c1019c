using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using Rag.Core.Redis;

namespace Rag.Tests.Redis;

/// <summary>
/// Replies that arrive in one read are completed on one thread, running callers' continuations one after another
/// there, and the commands those callers send meanwhile are held back to go out together. These check what that must
/// not cost: a continuation blocking for a later reply or for a command it sent, async-local state crossing from one
/// caller to the next, and a caller's continuation running inside whoever cancelled it. Replies come in one read from
/// <see cref="HeldRepliesPeer"/>, which a real server cannot promise.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisCompletionTests(RedisServerFixture fixture)
{
    private const int Rounds = 20;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly AsyncLocal<string?> CallerMarker = new();

    [Fact]
    public async Task AContinuationWaitingSynchronouslyForALaterReplyOfTheSameReadIsNotStuck()
    {
        await using var peer = new HeldRepliesPeer();
        await using var client = RedisClientFactory.Create(peer.ConnectionString);
        using var stalls = new StallCounter(peer.Port);
        await client.PingAsync();

        for (var round = 0; round < Rounds; round++)
        {
            // Each continuation blocks its batch's thread until the next command's reply, later in the same batch, is delivered.
            peer.Hold();
            var commands = Enumerable.Range(0, 4).Select(i => client.ExecuteAsync("ECHO", [$"{round}:{i}"])).ToArray();
            var chain = commands.Take(3).Select((command, i) => command.ContinueWith(
                _ => commands[i + 1].GetAwaiter().GetResult().AsString() ?? "",
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default)).ToArray();
            await peer.ReleaseAsync(commands.Length);

            var echoed = await Task.WhenAll(chain).WaitAsync(Patience);

            Assert.Equal([$"{round}:1", $"{round}:2", $"{round}:3"], echoed);
        }

        // Each round's replies made one batch, and its blocked continuation stalled it: the watcher's rescue is what
        // got the rounds through, not replies that happened to be completed one by one.
        Assert.True(stalls.Count >= Rounds, $"{stalls.Count} stalled batches in {Rounds} rounds.");
    }

    [Fact]
    public async Task AContinuationWaitingSynchronouslyForACommandItSentIsNotStuck()
    {
        await using var peer = new HeldRepliesPeer();
        await using var client = RedisClientFactory.Create(peer.ConnectionString);
        await client.PingAsync();

        for (var round = 0; round < Rounds; round++)
        {
            // The last continuation of the batch sends a command and blocks for its reply: the batch holds that command
            // back to send with the others', and no later continuation of the batch will ever let it go.
            peer.Hold();
            var first = client.ExecuteAsync("ECHO", ["first"]);
            var last = client.ExecuteAsync("ECHO", ["last"]);
            var followUp = last.ContinueWith(
                _ => client.ExecuteAsync("ECHO", [$"follow-up {round}"]).GetAwaiter().GetResult().AsString(),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            await peer.ReleaseAsync(2);

            Assert.Equal($"follow-up {round}", await followUp.WaitAsync(Patience));
            Assert.Equal("first", (await first).AsString());
        }
    }

    [Fact]
    public async Task AContinuationWaitingSynchronouslyForCommandAfterCommandWaitsForTheWatcherOnlyOnce()
    {
        await using var peer = new HeldRepliesPeer();
        await using var client = RedisClientFactory.Create(peer.ConnectionString);
        await client.PingAsync();
        const int Calls = 100;
        var outsideAnyBatch = Stopwatch.StartNew();
        await Task.Run(() => SendOneByOne(client, Calls));
        outsideAnyBatch.Stop();

        // The first command waits for the watcher to find the batch stalled (a tick, up to about 20 ms); once it has,
        // the batch holds back none of the others. Were each held back in turn, each would wait for a tick: 2 s in all.
        peer.Hold();
        var first = client.ExecuteAsync("ECHO", ["first"]);
        var last = client.ExecuteAsync("ECHO", ["last"]);
        var insideABatch = Stopwatch.StartNew();
        var followUps = last.ContinueWith(
            _ => SendOneByOne(client, Calls), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await peer.ReleaseAsync(2);

        Assert.Equal(Enumerable.Range(0, Calls).Select(i => $"follow-up {i}"), await followUps.WaitAsync(Patience));
        Assert.True(
            insideABatch.Elapsed < outsideAnyBatch.Elapsed + TimeSpan.FromSeconds(1),
            $"{Calls} synchronous calls took {insideABatch.Elapsed.TotalMilliseconds:0} ms inside a batch, {outsideAnyBatch.Elapsed.TotalMilliseconds:0} ms outside.");
        Assert.Equal("first", (await first).AsString());

        static List<string?> SendOneByOne(IRedisClient client, int calls) =>
            [.. Enumerable.Range(0, calls).Select(i => client.ExecuteAsync("ECHO", [$"follow-up {i}"]).GetAwaiter().GetResult().AsString())];
    }

    [Fact]
    public async Task CommandsAnsweredBeforeAMalformedReplyKeepTheirReplies()
    {
        await using var peer = new HeldRepliesPeer();
        await using var client = RedisClientFactory.Create(peer.ConnectionString);
        await client.PingAsync();

        peer.Hold();
        var answered = Enumerable.Range(0, 3).Select(i => client.ExecuteAsync("ECHO", [$"answered {i}"])).ToArray();
        var unanswered = client.ExecuteAsync("ECHO", ["unanswered"]);
        await peer.HeldAsync(4);
        await peer.ReleaseAsync(3, trailingBytes: Encoding.ASCII.GetBytes("?not RESP\r\n"));

        Assert.Equal(["answered 0", "answered 1", "answered 2"], (await Task.WhenAll(answered).WaitAsync(Patience)).Select(reply => reply.AsString()));
        await Assert.ThrowsAnyAsync<RedisException>(() => unanswered.WaitAsync(Patience));
    }

    [Fact]
    public async Task AClientDisposedWhileConnectingClosesThatConnection()
    {
        await using var peer = new HeldRepliesPeer();
        var client = RedisClientFactory.Create(peer.ConnectionString);

        // The handshake's PING waits for its reply while the client is disposed: the connection then opens for nobody.
        peer.Hold();
        var ping = client.PingAsync();
        await peer.HeldAsync(1);
        await client.DisposeAsync();
        await peer.ReleaseAsync(1);

        await Assert.ThrowsAsync<ObjectDisposedException>(() => ping.WaitAsync(Patience));
        await peer.ClientClosed.WaitAsync(Patience);
    }

    [Fact]
    public async Task OneCallersAsyncLocalStateNeverReachesTheNextCallersContinuation()
    {
        await using var peer = new HeldRepliesPeer();
        await using var client = RedisClientFactory.Create(peer.ConnectionString);
        await client.PingAsync();
        var leaked = 0;

        for (var round = 0; round < Rounds; round++)
        {
            peer.Hold();
            var first = client.ExecuteAsync("PING", []);
            var second = client.ExecuteAsync("PING", []);
            var continuations = MarkFirstAndCountMarksSeenBySecond(first, second, () => Interlocked.Increment(ref leaked));
            await peer.ReleaseAsync(2);

            await continuations.WaitAsync(Patience);
        }

        Assert.Equal(0, leaked);
    }

    [Fact]
    public async Task TheCallerThatOpensTheConnectionLendsItsAsyncLocalStateToNoOtherCaller()
    {
        await using var peer = new HeldRepliesPeer();
        await using var client = RedisClientFactory.Create(peer.ConnectionString);

        // The connection's reads start inside this caller's call: whatever they capture, other callers' continuations see.
        CallerMarker.Value = "the caller that connected";
        await client.PingAsync();
        CallerMarker.Value = null;
        var seen = 0;

        for (var round = 0; round < Rounds; round++)
        {
            peer.Hold();
            var first = client.ExecuteAsync("PING", []);
            var second = client.ExecuteAsync("PING", []);
            var continuations = Task.WhenAll(ReadMarker(first), ReadMarker(second));
            await peer.ReleaseAsync(2);

            await continuations.WaitAsync(Patience);
        }

        Assert.Equal(0, seen);

        Task ReadMarker(Task<RedisResult> command)
        {
            using (ExecutionContext.SuppressFlow())
            {
                return command.ContinueWith(
                    _ =>
                    {
                        if (CallerMarker.Value is not null)
                        {
                            Interlocked.Increment(ref seen);
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }
        }
    }

    [Fact]
    public async Task ACancelledCallersContinuationDoesNotRunInsideCancel()
    {
        await using var client = fixture.CreateClient();
        await using var admin = fixture.CreateClient();
        await client.PingAsync();
        await HoldRepliesAsync(admin, milliseconds: 300);
        using var cancellation = new CancellationTokenSource();
        using var cancelReturned = new ManualResetEventSlim();
        var pending = client.ExecuteAsync("PING", [], cancellation.Token);
        var sawCancelReturn = pending.ContinueWith(
            _ => cancelReturned.Wait(TimeSpan.FromSeconds(5)),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

        CancelOnThisThread(cancellation);
        cancelReturned.Set();

        Assert.True(await sawCancelReturn.WaitAsync(TimeSpan.FromSeconds(10)), "The continuation ran inside Cancel, on the cancelling thread.");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        Assert.Equal("PONG", (await client.ExecuteAsync("PING", [])).AsString());
    }

    // Cancel, not CancelAsync: the latter already runs the token's callbacks elsewhere, which would hide the problem.
    private static void CancelOnThisThread(CancellationTokenSource cancellation) => cancellation.Cancel();

    /// <summary>
    /// Without a captured context a continuation runs in whatever context its thread has: the one the previous
    /// continuation on that thread left behind, unless the client restores it.
    /// </summary>
    private static Task MarkFirstAndCountMarksSeenBySecond(Task<RedisResult> first, Task<RedisResult> second, Action countLeak)
    {
        using (ExecutionContext.SuppressFlow())
        {
            var marking = first.ContinueWith(
                _ => CallerMarker.Value = "first caller", CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            var reading = second.ContinueWith(
                _ =>
                {
                    if (CallerMarker.Value is not null)
                    {
                        countLeak();
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            return Task.WhenAll(marking, reading);
        }
    }

    /// <summary>Counts the client's stalled completion batches on one server, from now on.</summary>
    private sealed class StallCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private int _count;

        public StallCounter(int port)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RedisTelemetry.Name && instrument.Name == "rag.redis.completion.stalls")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag is { Key: "server.port", Value: int taggedPort } && taggedPort == port)
                    {
                        Interlocked.Add(ref _count, (int)value);
                    }
                }
            });
            _listener.Start();
        }

        public int Count => Volatile.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>The server answers no command for a while, its own reply to this one aside.</summary>
    private static Task HoldRepliesAsync(IRedisClient admin, int milliseconds = 20) =>
        admin.ExecuteAsync("CLIENT", ["PAUSE", milliseconds, "ALL"]);
}

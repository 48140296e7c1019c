using Rag.Core.Redis;

namespace Rag.Tests.Redis;

/// <summary>
/// Replies that arrive in one read are completed on one work item, running callers' continuations one after another
/// there. These check what that must not cost: a continuation blocking for a later reply, async-local state crossing
/// from one caller to the next, and a caller's continuation running inside whoever cancelled it.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RedisCompletionTests(RedisServerFixture fixture)
{
    private const int Rounds = 20;
    private static readonly AsyncLocal<string?> CallerMarker = new();

    [Fact]
    public async Task AContinuationWaitingSynchronouslyForALaterReplyOfTheSameReadIsNotStuck()
    {
        await using var client = fixture.CreateClient();
        await using var admin = fixture.CreateClient();
        await client.PingAsync();

        for (var round = 0; round < Rounds; round++)
        {
            // Held by the server until all are sent, so their replies come in one read: each continuation blocks its
            // batch's thread until the next command's reply, which sits later in the same batch, is delivered.
            await HoldRepliesAsync(admin);
            var commands = Enumerable.Range(0, 4).Select(i => client.ExecuteAsync("ECHO", [$"{round}:{i}"])).ToArray();
            var chain = commands.Take(3).Select((command, i) => command.ContinueWith(
                _ => commands[i + 1].GetAwaiter().GetResult().AsString() ?? "",
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default)).ToArray();

            var echoed = await Task.WhenAll(chain).WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal([$"{round}:1", $"{round}:2", $"{round}:3"], echoed);
        }
    }

    [Fact]
    public async Task OneCallersAsyncLocalStateNeverReachesTheNextCallersContinuation()
    {
        await using var client = fixture.CreateClient();
        await using var admin = fixture.CreateClient();
        await client.PingAsync();
        var leaked = 0;

        for (var round = 0; round < Rounds; round++)
        {
            // Held so that both are still pending when the continuations are attached (else they would run at once, here).
            await HoldRepliesAsync(admin);
            var first = client.ExecuteAsync("PING", []);
            var second = client.ExecuteAsync("PING", []);
            Task marking, reading;

            // Without a captured context a continuation runs in whatever context its thread has: the one the previous
            // continuation on that thread left behind, unless the client restores it.
            using (ExecutionContext.SuppressFlow())
            {
                marking = first.ContinueWith(_ => CallerMarker.Value = "first caller", CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                reading = second.ContinueWith(
                    _ =>
                    {
                        if (CallerMarker.Value is not null)
                        {
                            Interlocked.Increment(ref leaked);
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.ExecuteSynchronously,
                    TaskScheduler.Default);
            }

            await Task.WhenAll(marking, reading).WaitAsync(TimeSpan.FromSeconds(10));
        }

        Assert.Equal(0, leaked);
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

    /// <summary>The server answers no command for a while, its own reply to this one aside.</summary>
    private static Task HoldRepliesAsync(IRedisClient admin, int milliseconds = 20) =>
        admin.ExecuteAsync("CLIENT", ["PAUSE", milliseconds, "ALL"]);
}

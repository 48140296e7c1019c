using System.Globalization;
using Rag.Core.Redis;

namespace Rag.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class RedisPipeliningTests(RedisServerFixture fixture)
{
    [Fact]
    public async Task SixtyFourConcurrentCallersEachGetExactlyTheirOwnReplies()
    {
        const int callers = 64;
        const int commandsPerCaller = 1000;
        await using var client = fixture.CreateClient();
        var prefix = $"pipe:{Guid.NewGuid():N}:";
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var mismatches = await Task.WhenAll(Enumerable.Range(0, callers).Select(caller => Task.Run(async () =>
        {
            var wrong = 0;
            var key = prefix + caller.ToString(CultureInfo.InvariantCulture);
            for (var i = 0; i < commandsPerCaller; i++)
            {
                var value = $"{caller}:{i}";
                if (i % 2 == 0)
                {
                    await client.SetAsync(key, value, cancellationToken: timeout.Token);
                    if (await client.GetStringAsync(key, timeout.Token) != value)
                    {
                        wrong++;
                    }
                }
                else
                {
                    // ECHO returns the argument itself: a reply routed to the wrong caller shows up at once.
                    var echoed = await client.ExecuteAsync("ECHO", [value], timeout.Token);
                    if (echoed.AsString() != value)
                    {
                        wrong++;
                    }
                }
            }

            return wrong;
        })));

        Assert.All(mismatches, count => Assert.Equal(0, count));
        var lastValues = await client.GetManyAsync([.. Enumerable.Range(0, callers).Select(c => prefix + c.ToString(CultureInfo.InvariantCulture))]);
        Assert.Equal(
            Enumerable.Range(0, callers).Select(c => $"{c}:{commandsPerCaller - 2}"),
            lastValues.Select(v => System.Text.Encoding.UTF8.GetString(v!)));
    }
}

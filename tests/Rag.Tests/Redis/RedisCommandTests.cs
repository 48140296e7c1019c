using System.Text;
using Rag.Core.Redis;

namespace Rag.Tests.Redis;

[Collection(RedisCollection.Name)]
public sealed class RedisCommandTests(RedisServerFixture fixture)
{
    private readonly IRedisClient _client = fixture.Client;
    private readonly string _prefix = $"cmd:{Guid.NewGuid():N}:";

    [Fact]
    public async Task PingAnswers()
    {
        var reply = await _client.ExecuteAsync("PING", []);

        Assert.Equal(RedisResultKind.SimpleString, reply.Kind);
        Assert.Equal("PONG", reply.AsString());
    }

    [Fact]
    public async Task SetAndGetRoundTripStringsAndMissingKeysAreNull()
    {
        Assert.True(await _client.SetAsync(_prefix + "a", "héllo"));

        Assert.Equal("héllo", await _client.GetStringAsync(_prefix + "a"));
        Assert.Null(await _client.GetAsync(_prefix + "missing"));
    }

    [Fact]
    public async Task SetHonoursNxXxAndExpiry()
    {
        var key = _prefix + "cond";

        Assert.False(await _client.SetAsync(key, "x", condition: SetCondition.IfExists));
        Assert.True(await _client.SetAsync(key, "first", condition: SetCondition.IfNotExists));
        Assert.False(await _client.SetAsync(key, "second", condition: SetCondition.IfNotExists));
        Assert.True(await _client.SetAsync(key, "third", TimeSpan.FromMinutes(5), SetCondition.IfExists));

        Assert.Equal("third", await _client.GetStringAsync(key));
        var ttl = await _client.TimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task ExpireTtlExistsAndDelete()
    {
        var key = _prefix + "k";
        await _client.SetAsync(key, "v");

        Assert.Null(await _client.TimeToLiveAsync(key));
        Assert.True(await _client.ExpireAsync(key, TimeSpan.FromSeconds(100)));
        Assert.InRange((await _client.TimeToLiveAsync(key))!.Value, TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(100));
        Assert.True(await _client.ExistsAsync(key));
        Assert.False(await _client.ExpireAsync(_prefix + "absent", TimeSpan.FromSeconds(1)));

        Assert.Equal(1, await _client.DeleteAsync([key, _prefix + "absent"]));
        Assert.False(await _client.ExistsAsync(key));
        Assert.Null(await _client.TimeToLiveAsync(key));
    }

    [Fact]
    public async Task ExpiredKeysDisappear()
    {
        var key = _prefix + "short";
        await _client.SetAsync(key, "v", TimeSpan.FromMilliseconds(50));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (await _client.ExistsAsync(key, timeout.Token))
        {
            await Task.Delay(20, timeout.Token);
        }

        Assert.Null(await _client.GetAsync(key));
    }

    [Fact]
    public async Task IncrAndIncrbyCount()
    {
        var key = _prefix + "counter";

        Assert.Equal(1, await _client.IncrementAsync(key));
        Assert.Equal(11, await _client.IncrementAsync(key, 10));
        Assert.Equal(6, await _client.IncrementAsync(key, -5));
        Assert.Equal("6", await _client.GetStringAsync(key));
    }

    [Fact]
    public async Task MsetAndMgetKeepOrderWithNullsForMissingKeys()
    {
        await _client.SetManyAsync([new(_prefix + "m1", "one"), new(_prefix + "m2", new byte[] { 0, 1, 2 })]);

        var values = await _client.GetManyAsync([_prefix + "m1", _prefix + "none", _prefix + "m2"]);

        Assert.Equal(3, values.Length);
        Assert.Equal("one"u8.ToArray(), values[0]);
        Assert.Null(values[1]);
        Assert.Equal(new byte[] { 0, 1, 2 }, values[2]);
    }

    [Fact]
    public async Task PipelinedSetsWithExpiryAllLandWithTheirTtl()
    {
        var pairs = Enumerable.Range(0, 50).Select(i => new KeyValuePair<string, RedisValue>(_prefix + "p" + i, i)).ToList();

        await _client.SetManyAsync(pairs, TimeSpan.FromMinutes(1));

        var values = await _client.GetManyAsync([.. pairs.Select(pair => pair.Key)]);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), values.Select(v => Encoding.UTF8.GetString(v!)));
        Assert.NotNull(await _client.TimeToLiveAsync(_prefix + "p49"));
    }

    [Fact]
    public async Task ErrorRepliesRaiseServerExceptionsCarryingTheMessage()
    {
        var key = _prefix + "list";
        await _client.ExecuteAsync("LPUSH", [key, "x"]);

        var wrongType = await Assert.ThrowsAsync<RedisServerException>(() => _client.GetAsync(key));
        var unknown = await Assert.ThrowsAsync<RedisServerException>(() => _client.ExecuteAsync("NOSUCHCOMMAND", []));

        Assert.Equal("WRONGTYPE", wrongType.ErrorCode);
        Assert.Contains("wrong kind of value", wrongType.Message, StringComparison.Ordinal);
        Assert.Contains("unknown command", unknown.Message, StringComparison.Ordinal);
        Assert.Equal("PONG", (await _client.ExecuteAsync("PING", [])).AsString());
    }

    [Fact]
    public async Task GenericExecuteReturnsNestedArraysAndIntegers()
    {
        var key = _prefix + "h";
        await _client.ExecuteAsync("HSET", [key, "f1", "v1", "f2", 2]);

        var all = await _client.ExecuteAsync("HGETALL", [key]);
        var length = await _client.ExecuteAsync("HLEN", [key]);

        Assert.Equal(RedisResultKind.Array, all.Kind);
        Assert.Equal(["f1", "v1", "f2", "2"], all.AsArray().Select(item => item.AsString()));
        Assert.Equal(RedisResultKind.Integer, length.Kind);
        Assert.Equal(2, length.AsInt64());
    }

    [Fact]
    public async Task AllByteValuesEmbeddedCrlfAndAOneMegabyteValueSurvive()
    {
        var allBytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var crlf = "a\r\nb\r\n\r\n$3\r\n*1"u8.ToArray();
        var large = new byte[1024 * 1024];
        new Random(42).NextBytes(large);
        var binaryKey = Encoding.UTF8.GetBytes(_prefix + "bin\r\nkey");

        await _client.SetAsync(_prefix + "all", allBytes);
        await _client.SetAsync(_prefix + "crlf", crlf);
        await _client.SetAsync(_prefix + "large", large);
        await _client.ExecuteAsync("SET", [binaryKey, "v"]);

        Assert.Equal(allBytes, await _client.GetAsync(_prefix + "all"));
        Assert.Equal(crlf, await _client.GetAsync(_prefix + "crlf"));
        Assert.Equal(large, await _client.GetAsync(_prefix + "large"));
        Assert.Equal("v", (await _client.ExecuteAsync("GET", [binaryKey])).AsString());
        Assert.Equal("OK", (await _client.ExecuteAsync("SET", [_prefix + "empty", Array.Empty<byte>()])).AsString());
        Assert.Empty((await _client.GetAsync(_prefix + "empty"))!);
    }

    [Fact]
    public async Task ScriptsRunByShaAndFallBackToEvalAfterScriptFlush()
    {
        var script = new RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])");
        var key = _prefix + "scripted";

        Assert.Equal(5, (await script.EvaluateAsync(_client, [key], [5])).AsInt64());
        var cached = await _client.ExecuteAsync("SCRIPT", ["EXISTS", script.Sha1]);
        Assert.Equal(1, cached.AsArray()[0].AsInt64());

        await _client.ExecuteAsync("SCRIPT", ["FLUSH"]);
        Assert.Equal(12, (await script.EvaluateAsync(_client, [key], [7])).AsInt64());
        Assert.Equal(1, (await _client.ExecuteAsync("SCRIPT", ["EXISTS", script.Sha1])).AsArray()[0].AsInt64());
    }

    [Fact]
    public async Task ScriptErrorsSurfaceAsServerExceptions()
    {
        var script = new RedisScript("return redis.error_reply('ERR custom failure')");

        var error = await Assert.ThrowsAsync<RedisServerException>(() => script.EvaluateAsync(_client, [], []));

        Assert.Contains("custom failure", error.Message, StringComparison.Ordinal);
    }
}

using Rag.Core.Redis;

namespace Rag.Tests.Redis;

public sealed class RedisConnectionStringTests
{
    [Fact]
    public void ParsesTheAspireForm()
    {
        var parsed = RedisConnectionString.Parse("localhost:5001,password=xyz");

        Assert.Equal("localhost", parsed.Host);
        Assert.Equal(5001, parsed.Port);
        Assert.Equal("xyz", parsed.Password);
        Assert.False(parsed.Ssl);
        Assert.Null(parsed.User);
        Assert.Equal(0, parsed.Database);
    }

    [Fact]
    public void ParsesEverySupportedOptionCaseInsensitively()
    {
        var parsed = RedisConnectionString.Parse(
            "cache.internal:6380,User=app,PASSWORD=p@ss,ssl=True,sslHost=redis.example.com,connectTimeout=1500,syncTimeout=2000,asyncTimeout=3000,defaultDatabase=3,abortConnect=false");

        Assert.Equal("cache.internal", parsed.Host);
        Assert.Equal(6380, parsed.Port);
        Assert.Equal("app", parsed.User);
        Assert.Equal("p@ss", parsed.Password);
        Assert.True(parsed.Ssl);
        Assert.Equal("redis.example.com", parsed.SslHost);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), parsed.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(3000), parsed.CommandTimeout);
        Assert.Equal(3, parsed.Database);
    }

    [Fact]
    public void SyncTimeoutIsTheCommandTimeoutWhenAsyncTimeoutIsAbsent()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(750), RedisConnectionString.Parse("h:1,syncTimeout=750").CommandTimeout);
    }

    [Theory]
    [InlineData("redis", 6379)]
    [InlineData("redis,ssl=true", 6380)]
    [InlineData("[::1]:7000", 7000)]
    [InlineData("[::1]", 6379)]
    public void DefaultsThePortAndReadsIpv6Literals(string connectionString, int expectedPort)
    {
        Assert.Equal(expectedPort, RedisConnectionString.Parse(connectionString).Port);
    }

    [Fact]
    public void UsesTheFirstOfSeveralEndpoints()
    {
        var parsed = RedisConnectionString.Parse("first:1000,second:2000,password=x");

        Assert.Equal("first", parsed.Host);
        Assert.Equal(1000, parsed.Port);
    }

    [Theory]
    [InlineData("host:notaport", "port")]
    [InlineData("host:70000", "port")]
    [InlineData("host:1,ssl=maybe", "ssl")]
    [InlineData("host:1,connectTimeout=-5", "connectTimeout")]
    [InlineData("host:1,defaultDatabase=x", "defaultDatabase")]
    [InlineData("host:1,frobnicate=yes", "frobnicate")]
    [InlineData("password=secret", "no endpoint")]
    [InlineData("::1:6379", "IPv6")]
    [InlineData("[::1:6379", "unclosed")]
    public void RejectsMalformedPartsNamingThem(string connectionString, string expectedInMessage)
    {
        var error = Assert.Throws<FormatException>(() => RedisConnectionString.Parse(connectionString));

        Assert.Contains(expectedInMessage, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void NeverRevealsThePassword()
    {
        var parsed = RedisConnectionString.Parse("host:1,password=TopSecret42,user=bob");
        var error = Assert.Throws<FormatException>(() => RedisConnectionString.Parse("host:1,password=TopSecret42,bogus=1"));

        Assert.DoesNotContain("TopSecret42", parsed.ToString(), StringComparison.Ordinal);
        Assert.Contains("password=*****", parsed.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("TopSecret42", error.Message, StringComparison.Ordinal);
    }
}

using Rag.Core.Redis;
using Rag.LocalHost.Processes;

namespace Rag.Tests.Redis;

public sealed class RedisServerTests
{
    [Fact]
    public async Task PersistentDataSurvivesAGracefulRestartAndClearingEmptiesItOnTheSamePort()
    {
        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Persistent = true, Password = "pw" });
        var port = server.Port;
        Assert.Equal($"127.0.0.1:{port},password=pw", server.ConnectionString);

        await using (var client = RedisClientFactory.Create(server.ConnectionString))
        {
            await client.SetAsync("kept", "yes");
        }

        await server.RestartAsync();
        await using (var client = RedisClientFactory.Create(server.ConnectionString))
        {
            Assert.Equal("yes", await client.GetStringAsync("kept"));
        }

        await server.RestartAsync(clearData: true);
        Assert.Equal(port, server.Port);
        await using (var client = RedisClientFactory.Create(server.ConnectionString))
        {
            Assert.Null(await client.GetStringAsync("kept"));
        }
    }

    [Fact]
    public async Task KillAndStopEndTheProcessAndDisposeRemovesTheTemporaryFolder()
    {
        var server = await RedisServer.StartAsync();
        var folder = server.DataDirectory;
        Assert.True(server.IsRunning);

        server.Kill();
        Assert.False(server.IsRunning);
        await server.RestartAsync();
        Assert.True(server.IsRunning);
        await server.StopAsync();
        Assert.False(server.IsRunning);

        await server.DisposeAsync();
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task AMissingExecutableNamesThePackageToInstall()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RedisServer.StartAsync(new RedisServerOptions { Executable = "redis-server-that-does-not-exist" }));

        Assert.Contains("apt-get install redis-server", error.Message, StringComparison.Ordinal);
    }
}

using System.Text.RegularExpressions;
using Rag.LocalHost.Processes;
using Rag.Tests.Infrastructure;

namespace Rag.Tests.LocalHost.Processes;

public sealed class PostgresServerTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task RestartingOnTheSameFolderKeepsDataAndPassword()
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "rag-tests-pg-" + Guid.NewGuid().ToString("N"));
        var options = new PostgresServerOptions { DataDirectory = dataDirectory, DisableDurability = true };
        try
        {
            string firstConnectionString;
            await using (var first = await PostgresServer.StartAsync(options).WaitAsync(StartTimeout))
            {
                firstConnectionString = first.ConnectionString;
                Assert.Matches(new Regex(@"^Host=127\.0\.0\.1;Port=\d+;Username=postgres;Password=[A-Za-z0-9]{32}$"), first.ConnectionString);
                Assert.Equal(first.ConnectionString + ";Database=ragdb", first.GetConnectionString("ragdb"));
                await Sql.ExecuteAsync(first.GetConnectionString("postgres"), "CREATE TABLE survivor (id int); INSERT INTO survivor VALUES (42)");
                await first.StopAsync().WaitAsync(PostgresFixture.WaitTimeout);
                Assert.True(first.HasExited);
            }

            await using var second = await PostgresServer.StartAsync(options).WaitAsync(StartTimeout);

            Assert.Equal(PasswordOf(firstConnectionString), PasswordOf(second.ConnectionString));
            Assert.Equal(42, await Sql.ScalarAsync<int>(second.GetConnectionString("postgres"), "SELECT id FROM survivor"));
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    [Fact]
    public async Task AFolderThatIsNeitherEmptyNorAClusterIsRefused()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("rag-tests-pg-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dataDirectory, "notes.txt"), "not a database");

            var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                PostgresServer.StartAsync(new PostgresServerOptions { DataDirectory = dataDirectory }).WaitAsync(StartTimeout));

            Assert.Contains("neither empty nor a PostgreSQL data directory", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static string PasswordOf(string connectionString) => connectionString[(connectionString.IndexOf("Password=", StringComparison.Ordinal) + "Password=".Length)..];
}

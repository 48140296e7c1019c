using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Rag.Core;
using Rag.Core.Storage;
using Rag.Tests.Infrastructure;

namespace Rag.Tests.Storage;

[Collection(PostgresCollection.Name)]
public sealed class DatabaseExtensionsTests(PostgresFixture postgres)
{
    private static readonly TimeSpan Timeout = PostgresFixture.WaitTimeout;

    [Fact]
    public void AMissingConnectionStringFailsAtStartupNamingTheSetting()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddRagDatabase(ResourceNames.Database));

        Assert.Contains("ConnectionStrings:ragdb", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadinessStaysFalseUntilTheMigrationsAreApplied()
    {
        // The database does not exist yet: the service creates it, as it must in deployed environments.
        var connectionString = postgres.Server.GetConnectionString(PostgresFixture.NewDatabaseName());
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:ragdb"] = connectionString });
        builder.AddRagDatabase(ResourceNames.Database);
        using var host = builder.Build();
        var health = host.Services.GetRequiredService<HealthCheckService>();

        var before = await health.CheckHealthAsync().WaitAsync(Timeout);
        await host.StartAsync().WaitAsync(Timeout);
        await host.Services.GetRequiredService<IDatabaseMigrationStatus>().WaitUntilAppliedAsync().WaitAsync(Timeout);
        var after = await health.CheckHealthAsync().WaitAsync(Timeout);
        await host.StopAsync().WaitAsync(Timeout);

        Assert.Equal(HealthStatus.Unhealthy, before.Entries[DatabaseExtensions.MigrationsHealthCheckName].Status);
        Assert.Equal(HealthStatus.Healthy, after.Status);
        Assert.Equal(1L, await Sql.ScalarAsync<long>(connectionString, "SELECT count(*) FROM collections WHERE name = 'default'"));
    }
}

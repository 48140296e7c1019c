using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Rag.Core.Storage;

namespace Microsoft.Extensions.Hosting;

public static class DatabaseExtensions
{
    public const string PostgresHealthCheckName = "postgres";
    public const string MigrationsHealthCheckName = "migrations";

    // Registers one NpgsqlDataSource for ConnectionStrings:<connectionName>, the "postgres" and "migrations"
    // readiness checks, and the start-up migration runner (see DatabaseMigrationService for why it runs in the background).
    public static TBuilder AddRagDatabase<TBuilder>(this TBuilder builder, string connectionName) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);

        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings:{connectionName} is not set. The AppHost provides it (env ConnectionStrings__{connectionName}); " +
                $"otherwise set it to e.g. \"Host=localhost;Port=5432;Username=postgres;Password=...;Database={connectionName}\".");
        }

        builder.Services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        builder.Services.AddSingleton(services =>
        {
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString).UseLoggerFactory(services.GetRequiredService<ILoggerFactory>());

            // The same few statements run on every request (an upload's insert, the access check): prepared on each
            // connection once used twice, PostgreSQL no longer parses and plans them every time. A connection string may
            // set its own "Max Auto Prepare".
            if (dataSourceBuilder.ConnectionStringBuilder.MaxAutoPrepare == 0)
            {
                dataSourceBuilder.ConnectionStringBuilder.MaxAutoPrepare = 64;
            }

            // A connection going back to the pool would otherwise be reset with seven statements (DISCARD ALL without
            // DEALLOCATE, to keep the prepared ones), as many as the request itself ran. Nothing here leaves session
            // state behind: no SET, LISTEN or temporary tables; the index rebuild runner releases its session advisory
            // lock itself and the migrator's is on a connection of its own. An open transaction is still rolled back.
            // (ContainsKey answers true for every keyword Npgsql knows; Keys holds the ones the string set, by canonical name.)
            if (!dataSourceBuilder.ConnectionStringBuilder.Keys.Cast<string>().Contains("No Reset On Close", StringComparer.OrdinalIgnoreCase))
            {
                dataSourceBuilder.ConnectionStringBuilder.NoResetOnClose = true;
            }

            return dataSourceBuilder.Build();
        });

        builder.Services.AddSingleton<DatabaseMigrationStatus>();
        builder.Services.AddSingleton<IDatabaseMigrationStatus>(services => services.GetRequiredService<DatabaseMigrationStatus>());
        builder.Services.AddSingleton(services => new DatabaseMigrator(
            connectionString,
            Migration.LoadEmbedded(),
            services.GetRequiredService<ILogger<DatabaseMigrator>>()));
        builder.Services.AddHostedService<DatabaseMigrationService>();

        builder.Services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>(PostgresHealthCheckName)
            .AddCheck<MigrationsHealthCheck>(MigrationsHealthCheckName);

        return builder;
    }
}

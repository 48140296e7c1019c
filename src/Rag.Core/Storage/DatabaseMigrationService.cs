using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Rag.Core.Storage;

// Runs the migrations in the background rather than before the app serves: /alive answers at once, so an
// orchestrator does not restart a replica that is only waiting for Postgres, while the "migrations" health
// check keeps /health (readiness) false until the schema is applied. Postgres being unreachable is retried;
// anything else (a changed migration, a failing script) stops the host with the error.
internal sealed partial class DatabaseMigrationService(
    DatabaseMigrator migrator,
    DatabaseMigrationStatus status,
    IOptions<DatabaseOptions> options,
    ILogger<DatabaseMigrationService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await migrator.MigrateAsync(stoppingToken).ConfigureAwait(false);
                status.MarkApplied();
                return;
            }
            catch (NpgsqlException ex) when (ex.IsTransient && !stoppingToken.IsCancellationRequested)
            {
                LogDatabaseUnavailable(logger, attempt, options.Value.MigrationRetryDelay, ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogMigrationFailed(logger, ex);
                throw;
            }

            await Task.Delay(options.Value.MigrationRetryDelay, stoppingToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable for migrations (attempt {Attempt}); retrying in {RetryDelay}")]
    private static partial void LogDatabaseUnavailable(ILogger logger, int attempt, TimeSpan retryDelay, Exception exception);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Database migrations failed; the service cannot start")]
    private static partial void LogMigrationFailed(ILogger logger, Exception exception);
}

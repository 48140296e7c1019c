using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Rag.Core.Storage;

// Unhealthy within DatabaseOptions.HealthCheckTimeout when Postgres is down or does not answer.
internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource, IOptions<DatabaseOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var timeout = options.Value.HealthCheckTimeout;
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var probe = SelectOneAsync(timeoutSource.Token);
        try
        {
            // Npgsql does not notice cancellation while a connection waits for the server's first reply,
            // so the wait itself is bounded too; the abandoned probe ends at the connection's own timeout.
            await probe.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when ((ex is TimeoutException or OperationCanceledException) && !cancellationToken.IsCancellationRequested)
        {
            _ = probe.ContinueWith(static task => task.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return new HealthCheckResult(context.Registration.FailureStatus, $"PostgreSQL did not answer within {timeout}.");
        }
        catch (NpgsqlException ex)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "PostgreSQL is unreachable.", ex);
        }
    }

    private async Task SelectOneAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT 1");
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}

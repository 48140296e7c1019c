using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Rag.Core.Storage;

// Keeps readiness false until this process has applied (or confirmed) the schema migrations.
internal sealed class MigrationsHealthCheck(IDatabaseMigrationStatus status) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(status.IsApplied
            ? HealthCheckResult.Healthy()
            : new HealthCheckResult(context.Registration.FailureStatus, "Database migrations have not been applied yet."));
}

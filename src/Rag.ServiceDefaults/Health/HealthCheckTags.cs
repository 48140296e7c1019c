namespace Microsoft.Extensions.Diagnostics.HealthChecks;

// The tags the default endpoints filter on: /alive runs only Live checks, /health runs every check.
public static class HealthCheckTags
{
    // The process itself can serve; failing it makes an orchestrator restart the container.
    public const string Live = "live";

    // A dependency the service needs before it can take traffic (database, cache, vector index).
    public const string Ready = "ready";
}

using System.ComponentModel.DataAnnotations;

namespace Rag.Core.Storage;

// "Database": {
//   "HealthCheckTimeout": "00:00:02",
//   "MigrationRetryDelay": "00:00:02"
// }
// The connection string itself is ConnectionStrings:ragdb, as Aspire provides it.
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    // A readiness probe must answer even when Postgres is unreachable, so the check gives up after this long.
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    // How long to wait before trying the migrations again while Postgres cannot be reached.
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan MigrationRetryDelay { get; set; } = TimeSpan.FromSeconds(2);
}

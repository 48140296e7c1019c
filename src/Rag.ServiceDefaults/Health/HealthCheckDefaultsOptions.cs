using System.ComponentModel.DataAnnotations;

namespace Rag.ServiceDefaults.Health;

// "HealthChecks": { "DefaultTimeout": "00:00:02" }
public sealed class HealthCheckDefaultsOptions
{
    public const string SectionName = "HealthChecks";

    // Applied to every registered check that has no timeout of its own.
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(2);
}

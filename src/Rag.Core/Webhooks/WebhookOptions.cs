using System.ComponentModel.DataAnnotations;

namespace Rag.Core.Webhooks;

/// <summary>
/// Webhook registration and delivery. JSON shape:
/// <code>
/// "Webhooks": { "AllowPrivateAddresses": false, "RequireHttps": true, "PollInterval": "00:00:02",
///               "MaxAttempts": 8, "InitialBackoff": "00:00:10", "MaxBackoff": "01:00:00", "RequestTimeout": "00:00:10" }
/// </code>
/// </summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>Allows loopback, private and link-local targets: for tests and closed networks only (server-side request forgery).</summary>
    public bool AllowPrivateAddresses { get; set; }

    public bool RequireHttps { get; set; } = true;

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The wait after the first failure; it doubles with each further failure, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan BackoffAfter(int failedAttempts)
    {
        var factor = Math.Pow(2, Math.Max(0, failedAttempts - 1));
        return TimeSpan.FromTicks((long)Math.Min(MaxBackoff.Ticks, InitialBackoff.Ticks * factor));
    }
}

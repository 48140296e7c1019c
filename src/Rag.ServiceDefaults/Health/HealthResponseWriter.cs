using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Rag.ServiceDefaults.Health;

// {"status":"Unhealthy","totalDuration":"00:00:02.0012","checks":[{"name":"self","status":"Healthy","duration":"00:00:00.0001","description":null}]}
// Deliberately leaves out HealthReportEntry.Exception (and its message) and .Data: they can carry connection strings and host names.
internal static class HealthResponseWriter
{
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(report);

        context.Response.ContentType = "application/json; charset=utf-8";

        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString());
        json.WriteString("totalDuration", report.TotalDuration.ToString("c"));
        json.WriteStartArray("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("status", entry.Status.ToString());
            json.WriteString("duration", entry.Duration.ToString("c"));
            json.WriteString("description", DescriptionOf(entry));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    // When a check throws, the framework copies the exception's message into the description; that message can
    // name hosts or carry a connection string, so it is replaced. The framework logs the exception itself.
    private static string? DescriptionOf(HealthReportEntry entry) => entry.Exception switch
    {
        null => entry.Description,
        OperationCanceledException => "Timed out.",
        _ => "The check failed; see the service's logs.",
    };
}

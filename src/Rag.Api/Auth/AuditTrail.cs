using Rag.Core.Identity;

namespace Rag.Api.Auth;

/// <summary>Writes audit rows with the request's id and client address.</summary>
public sealed class AuditTrail(AuditLog log)
{
    public Task WriteAsync(HttpContext context, string action, string? target, object? detail = null) =>
        WriteAsync(context, context.GetCaller().AuditName, action, target, detail);

    public Task WriteAsync(HttpContext context, string actor, string action, string? target, object? detail = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        return log.WriteAsync(actor, action, target, detail, context.TraceIdentifier, context.Connection.RemoteIpAddress, context.RequestAborted);
    }

    /// <summary>The authenticated caller, request id and client address, for a store that writes its audit row itself.</summary>
    public AuditSource SourceOf(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new AuditSource(context.GetCaller().AuditName, context.TraceIdentifier, context.Connection.RemoteIpAddress);
    }
}

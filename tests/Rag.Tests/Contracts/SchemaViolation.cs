namespace Rag.Tests.Contracts;

/// <param name="InstancePath">JSON Pointer to the offending value in the instance ("" is the whole document).</param>
/// <param name="Keyword">The schema keyword that failed, e.g. "required" or "format".</param>
public sealed record SchemaViolation(string InstancePath, string Keyword, string Message)
{
    public override string ToString() => $"{(InstancePath.Length == 0 ? "/" : InstancePath)}: {Keyword}: {Message}";
}

/// <summary>The schema uses something this validator does not implement; thrown so nothing is silently ignored.</summary>
public sealed class UnsupportedSchemaException(string message) : Exception(message);

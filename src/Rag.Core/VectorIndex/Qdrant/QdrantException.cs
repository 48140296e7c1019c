using System.Net;

namespace Rag.Core.VectorIndex.Qdrant;

/// <summary>Qdrant refused or failed a request; <see cref="StatusCode"/> and Qdrant's own message say why.</summary>
public sealed class QdrantException(HttpStatusCode statusCode, string operation, string qdrantMessage)
    : Exception($"Qdrant answered {(int)statusCode} {statusCode} to {operation}: {qdrantMessage}")
{
    public HttpStatusCode StatusCode { get; } = statusCode;

    public string QdrantMessage { get; } = qdrantMessage;

    /// <summary>True for 4xx: the request itself is wrong, so sending it again cannot help.</summary>
    public bool IsClientError => (int)StatusCode is >= 400 and < 500;
}

namespace Rag.Core.Models;

/// <summary>The model endpoint refused our credentials (HTTP 401/403). The message never contains the key.</summary>
public sealed class ModelAuthenticationException(string message, Exception? innerException = null)
    : InvalidOperationException(message, innerException);

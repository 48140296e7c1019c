namespace Rag.Core.Extraction;

/// <summary>
/// A document could not be extracted; <see cref="Exception.Message"/> says why in words a person understands.
/// </summary>
public sealed class ExtractionException : Exception
{
    public ExtractionException(string message)
        : base(message)
    {
    }

    public ExtractionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

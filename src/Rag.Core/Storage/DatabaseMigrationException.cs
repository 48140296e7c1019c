namespace Rag.Core.Storage;

// A migration problem that retrying cannot fix, such as an applied migration whose script has since changed.
public sealed class DatabaseMigrationException : Exception
{
    public DatabaseMigrationException(string message)
        : base(message)
    {
    }

    public DatabaseMigrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

namespace Rag.Core.Storage;

// Lets code that needs the schema (job consumers, seeders) wait until this process has applied the migrations.
public interface IDatabaseMigrationStatus
{
    bool IsApplied { get; }

    Task WaitUntilAppliedAsync(CancellationToken cancellationToken = default);
}

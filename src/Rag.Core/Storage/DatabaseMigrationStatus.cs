namespace Rag.Core.Storage;

internal sealed class DatabaseMigrationStatus : IDatabaseMigrationStatus
{
    private readonly TaskCompletionSource _applied = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsApplied => _applied.Task.IsCompletedSuccessfully;

    public Task WaitUntilAppliedAsync(CancellationToken cancellationToken = default) =>
        _applied.Task.WaitAsync(cancellationToken);

    public void MarkApplied() => _applied.TrySetResult();
}

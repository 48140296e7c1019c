namespace Rag.LocalHost.Processes;

public sealed record PostgresServerOptions
{
    // The cluster's folder: initialised (initdb) when empty or missing, reused otherwise.
    public required string DataDirectory { get; init; }

    // 0 picks a free loopback port.
    public int Port { get; init; }

    // fsync, synchronous_commit and full_page_writes off: much faster, but a crash of the machine can corrupt
    // the cluster. For tests and throw-away local data only.
    public bool DisableDurability { get; init; }

    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(15);
}

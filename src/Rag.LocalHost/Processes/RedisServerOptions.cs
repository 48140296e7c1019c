namespace Rag.LocalHost.Processes;

/// <summary>How to run a local redis-server.</summary>
public sealed record RedisServerOptions
{
    /// <summary>Required password (--requirepass); null for none.</summary>
    public string? Password { get; init; }

    /// <summary>Where Redis keeps its files; null for a temporary folder deleted on dispose.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Keep data across restarts with the append-only file; otherwise nothing is written to disk.</summary>
    public bool Persistent { get; init; }

    /// <summary>Serve TLS only, with this PEM certificate and key; clients are not asked for certificates.</summary>
    public RedisServerTls? Tls { get; init; }

    /// <summary>How long to wait for the server to answer PING after start.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The redis-server executable: a path, or a name looked up on PATH.</summary>
    public string Executable { get; init; } = "redis-server";
}

/// <summary>PEM files for a TLS-only redis-server.</summary>
public sealed record RedisServerTls(string CertificateFile, string PrivateKeyFile);

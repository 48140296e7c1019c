using System.Diagnostics;

namespace Rag.LocalHost;

/// <summary>
/// Installs the Debian packages the local graph runs on (redis-server, PostgreSQL 15) when they are missing,
/// so one command brings the system up on a fresh machine.
/// </summary>
public static class LocalPackages
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    private static readonly (string Binary, string Package)[] Required =
    [
        ("/usr/bin/redis-server", "redis-server"),
        ("/usr/lib/postgresql/15/bin/postgres", "postgresql-15"),
    ];

    public static async Task EnsureInstalledAsync(Action<string>? report = null, CancellationToken cancellationToken = default)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            var missing = Required.Where(r => !File.Exists(r.Binary)).Select(r => r.Package).ToArray();
            if (missing.Length == 0)
            {
                return;
            }

            var command = $"apt-get install -y --no-install-recommends {string.Join(' ', missing)}";
            if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/apt-get") || Environment.UserName != "root")
            {
                throw new InvalidOperationException(
                    $"Missing {string.Join(", ", missing)}. Install them first (on Debian or Ubuntu: sudo apt-get update && sudo {command}).");
            }

            report?.Invoke($"Installing {string.Join(", ", missing)} with apt-get...");
            await RunAsync("apt-get update -qq", cancellationToken);
            await RunAsync(command, cancellationToken);
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task RunAsync(string command, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add(command);
        startInfo.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command}' failed with exit code {process.ExitCode}: {await error}{await output}");
        }
    }
}

using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Rag.LocalHost.Processes;

// A real PostgreSQL server run as a child process on a loopback port, for the local launcher and the
// integration tests. initdb and postgres refuse to run as root, so as root they run as the "postgres" OS user.
public sealed partial class PostgresServer : IAsyncDisposable
{
    public const string SuperUser = "postgres";

    private const string ServiceAccount = "postgres";
    private const string PasswordFileName = "rag_superuser_password";
    private const string FallbackBinDirectory = "/usr/lib/postgresql/15/bin";
    private const int PortAttempts = 3;
    private const int SigInt = 2;

    private readonly Process _process;
    private readonly PostgresServerOptions _options;
    private readonly string _socketDirectory;
    private readonly string _password;
    private readonly ProcessOutput _output;
    private readonly ILogger _logger;
    private bool _disposed;

    private PostgresServer(Process process, PostgresServerOptions options, int port, string socketDirectory, string password, ProcessOutput output, ILogger logger)
    {
        _process = process;
        _options = options;
        Port = port;
        _socketDirectory = socketDirectory;
        _password = password;
        _output = output;
        _logger = logger;
    }

    public int Port { get; }

    public string DataDirectory => _options.DataDirectory;

    public bool HasExited => _process.HasExited;

    /// <summary>The postmaster's process id: the parent of every server process.</summary>
    public int ProcessId => _process.Id;

    // The server connection string in the format Aspire gives a Postgres server resource.
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username={SuperUser};Password={_password}";

    // As Aspire gives a database resource: the server's connection string plus ";Database=<name>".
    public string GetConnectionString(string database)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(database);
        if (database.Contains(';', StringComparison.Ordinal))
        {
            throw new ArgumentException("A database name in a connection string cannot contain ';'.", nameof(database));
        }

        return $"{ConnectionString};Database={database}";
    }

    public static async Task<PostgresServer> StartAsync(PostgresServerOptions options, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DataDirectory);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException($"{nameof(PostgresServer)} runs PostgreSQL on Linux or macOS only.");
        }

        logger ??= NullLogger.Instance;
        options = options with { DataDirectory = Path.GetFullPath(options.DataDirectory) };

        var binDirectory = await FindBinDirectoryAsync(cancellationToken);
        var asServiceAccount = Environment.IsPrivilegedProcess;
        var password = IsInitialized(options.DataDirectory)
            ? await ReadPasswordAsync(options.DataDirectory, cancellationToken)
            : await InitializeAsync(binDirectory, options, asServiceAccount, logger, cancellationToken);

        for (var attempt = 1; ; attempt++)
        {
            var port = options.Port == 0 ? FreePort.GetFreeTcpPort() : options.Port;
            var server = await LaunchAsync(binDirectory, options, port, password, asServiceAccount, logger, cancellationToken);
            try
            {
                await server.WaitUntilAcceptingConnectionsAsync(cancellationToken);
                LogStarted(logger, port, options.DataDirectory);
                return server;
            }
            catch (InvalidOperationException) when (options.Port == 0 && attempt < PortAttempts && server._output.Contains("could not bind"))
            {
                // Another process took the free port between our probe and postgres binding it.
                await server.DisposeAsync();
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    // PostgreSQL's "fast" shutdown (SIGINT): open transactions are rolled back, then a checkpoint. Killed if it takes too long.
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_process.HasExited)
        {
            return;
        }

        if (SendSignal(_process.Id, SigInt) != 0 && !_process.HasExited)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"Could not signal PostgreSQL (pid {_process.Id}) to stop.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ShutdownTimeout);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogShutdownTimedOut(_logger, _options.ShutdownTimeout);
            Kill();
        }
    }

    // Immediate SIGKILL, as a crash would be; the server recovers from its WAL on the next start.
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) when (_process.HasExited)
        {
        }

        // SIGKILL cannot be ignored; the bound only guards against a process stuck in the kernel.
        _process.WaitForExit(TimeSpan.FromSeconds(5));
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await StopAsync();
        }
        finally
        {
            Kill();
            _process.Dispose();
            DeleteDirectory(_socketDirectory);
        }
    }

    private static async Task<PostgresServer> LaunchAsync(
        string binDirectory, PostgresServerOptions options, int port, string password, bool asServiceAccount, ILogger logger, CancellationToken cancellationToken)
    {
        // Unix sockets need a short path, and one folder per server keeps parallel servers apart.
        var socketDirectory = Directory.CreateTempSubdirectory("rag-pg-").FullName;
        if (asServiceAccount)
        {
            await RunAsync("chown", [ServiceAccount, socketDirectory], asServiceAccount: false, cancellationToken);
        }

        List<string> arguments =
        [
            "-D", options.DataDirectory,
            "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-k", socketDirectory,
            "-c", "listen_addresses=127.0.0.1",
        ];
        if (options.DisableDurability)
        {
            arguments.AddRange(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        }

        var output = new ProcessOutput(line => LogServerOutput(logger, line));
        var process = new Process { StartInfo = CreateStartInfo(Path.Combine(binDirectory, "postgres"), arguments, asServiceAccount) };
        try
        {
            output.StartCapturing(process);
        }
        catch
        {
            process.Dispose();
            DeleteDirectory(socketDirectory);
            throw;
        }

        return new PostgresServer(process, options, port, socketDirectory, password, output, logger);
    }

    private async Task WaitUntilAcceptingConnectionsAsync(CancellationToken cancellationToken)
    {
        var probe = new NpgsqlConnectionStringBuilder(GetConnectionString("postgres")) { Pooling = false, Timeout = 2 }.ConnectionString;
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(cancellationToken);
                throw new InvalidOperationException(
                    $"PostgreSQL exited with code {_process.ExitCode} while starting on port {Port}. Its output:{Environment.NewLine}{_output.Tail()}");
            }

            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException ex) when (!_process.HasExited)
            {
                if (elapsed.Elapsed > _options.StartupTimeout)
                {
                    throw new TimeoutException(
                        $"PostgreSQL did not accept connections on port {Port} within {_options.StartupTimeout}. Its output:{Environment.NewLine}{_output.Tail()}", ex);
                }
            }
            catch (NpgsqlException) when (_process.HasExited)
            {
                continue;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    private static bool IsInitialized(string dataDirectory) => File.Exists(Path.Combine(dataDirectory, "PG_VERSION"));

    private static async Task<string> ReadPasswordAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var passwordFile = Path.Combine(dataDirectory, PasswordFileName);
        if (!File.Exists(passwordFile))
        {
            throw new InvalidOperationException(
                $"{dataDirectory} holds a PostgreSQL cluster that was not created by {nameof(PostgresServer)} (no {PasswordFileName}). Use an empty folder.");
        }

        return (await File.ReadAllTextAsync(passwordFile, cancellationToken)).Trim();
    }

    private static async Task<string> InitializeAsync(
        string binDirectory, PostgresServerOptions options, bool asServiceAccount, ILogger logger, CancellationToken cancellationToken)
    {
        var dataDirectory = options.DataDirectory;
        Directory.CreateDirectory(dataDirectory);
        if (Directory.EnumerateFileSystemEntries(dataDirectory).Any())
        {
            throw new InvalidOperationException($"{dataDirectory} is neither empty nor a PostgreSQL data directory.");
        }

        var password = RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 32);
        var passwordDirectory = Directory.CreateTempSubdirectory("rag-initdb-").FullName;
        try
        {
            var passwordFile = Path.Combine(passwordDirectory, "pwfile");
            await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
            if (asServiceAccount)
            {
                MakeAncestorsTraversable(dataDirectory, logger);
                await RunAsync("chown", ["-R", ServiceAccount, dataDirectory, passwordDirectory], asServiceAccount: false, cancellationToken);
            }

            List<string> arguments =
            [
                "-D", dataDirectory, "-U", SuperUser, "--auth=scram-sha-256", $"--pwfile={passwordFile}", "-E", "UTF8", "--locale=C",
            ];
            if (options.DisableDurability)
            {
                arguments.Add("--no-sync");
            }

            await RunAsync(Path.Combine(binDirectory, "initdb"), arguments, asServiceAccount, cancellationToken);
        }
        finally
        {
            DeleteDirectory(passwordDirectory);
        }

        // Kept beside the cluster so a restart on the same folder knows it; PostgreSQL ignores unknown files here.
        var storedPassword = Path.Combine(dataDirectory, PasswordFileName);
        await File.WriteAllTextAsync(storedPassword, password, cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(storedPassword, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        LogInitialized(logger, dataDirectory);
        return password;
    }

    // The service account must be able to reach the data folder through every parent folder.
    private static void MakeAncestorsTraversable(string dataDirectory, ILogger logger)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        for (var folder = Path.GetDirectoryName(dataDirectory); !string.IsNullOrEmpty(folder); folder = Path.GetDirectoryName(folder))
        {
            var mode = File.GetUnixFileMode(folder);
            if (!mode.HasFlag(UnixFileMode.OtherExecute))
            {
                File.SetUnixFileMode(folder, mode | UnixFileMode.OtherExecute);
                LogMadeTraversable(logger, folder);
            }
        }
    }

    private static async Task<string> FindBinDirectoryAsync(CancellationToken cancellationToken)
    {
        try
        {
            var bindir = (await RunAsync("pg_config", ["--bindir"], asServiceAccount: false, cancellationToken)).Trim();
            if (File.Exists(Path.Combine(bindir, "postgres")))
            {
                return bindir;
            }
        }
        catch (Win32Exception)
        {
            // pg_config is not on PATH; try the Debian/Ubuntu location.
        }

        if (File.Exists(Path.Combine(FallbackBinDirectory, "postgres")))
        {
            return FallbackBinDirectory;
        }

        throw new InvalidOperationException(
            $"PostgreSQL server binaries (initdb, postgres) were not found via pg_config --bindir or in {FallbackBinDirectory}. " +
            "Install PostgreSQL 15, e.g. apt-get install postgresql-15.");
    }

    private static ProcessStartInfo CreateStartInfo(string fileName, IEnumerable<string> arguments, bool asServiceAccount)
    {
        var startInfo = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // The service account may not be allowed into the caller's current folder.
            WorkingDirectory = Path.GetTempPath(),
        };

        if (asServiceAccount)
        {
            // setpriv replaces itself with the program (no intermediate process), so the pid we hold is postgres itself.
            startInfo.FileName = "setpriv";
            foreach (var argument in (string[])[$"--reuid={ServiceAccount}", $"--regid={ServiceAccount}", "--init-groups", "--", fileName])
            {
                startInfo.ArgumentList.Add(argument);
            }
        }
        else
        {
            startInfo.FileName = fileName;
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        return startInfo;
    }

    private static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments, bool asServiceAccount, CancellationToken cancellationToken)
    {
        using var process = new Process { StartInfo = CreateStartInfo(fileName, arguments, asServiceAccount) };
        process.Start();
        var standardOutput = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var standardError = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(fileName)} failed with exit code {process.ExitCode}:{Environment.NewLine}{await standardError}{await standardOutput}");
        }

        return await standardOutput;
    }

    private static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    // DllImport rather than LibraryImport, which would need unsafe code enabled for the whole launcher.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    [LoggerMessage(Level = LogLevel.Information, Message = "Initialized a PostgreSQL cluster in {DataDirectory}")]
    private static partial void LogInitialized(ILogger logger, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Made {Folder} traversable for the postgres OS user")]
    private static partial void LogMadeTraversable(ILogger logger, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "PostgreSQL is accepting connections on 127.0.0.1:{Port} (data in {DataDirectory})")]
    private static partial void LogStarted(ILogger logger, int port, string dataDirectory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL did not shut down within {Timeout}; killing it")]
    private static partial void LogShutdownTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Debug, Message = "postgres: {Line}")]
    private static partial void LogServerOutput(ILogger logger, string line);
}

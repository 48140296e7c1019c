using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Rag.Core.Redis;

namespace Rag.LocalHost.Processes;

/// <summary>
/// A real redis-server process on a free loopback port, configured entirely by command-line arguments. Used by the
/// local launcher and by integration tests, which can stop, kill and restart it (same port) to exercise recovery.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const int StartAttempts = 3;
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly RedisServerOptions _options;
    private readonly bool _ownsDataDirectory;
    private readonly Queue<string> _recentOutput = new();
    private Process? _process;

    private RedisServer(RedisServerOptions options, int port, string dataDirectory, bool ownsDataDirectory)
    {
        _options = options;
        Port = port;
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
    }

    public string Host => "127.0.0.1";

    public int Port { get; private set; }

    public string DataDirectory { get; }

    public bool IsRunning => _process is { HasExited: false };

    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>In the format Aspire injects as ConnectionStrings:cache, e.g. <c>127.0.0.1:6379,password=secret</c>.</summary>
    public string ConnectionString =>
        $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}" +
        (_options.Password is null ? string.Empty : $",password={_options.Password}") +
        (_options.Tls is null ? string.Empty : ",ssl=true");

    /// <summary>Starts redis-server and waits until it answers PING.</summary>
    /// <exception cref="InvalidOperationException">redis-server is not installed, exited, or did not answer in time.</exception>
    public static async Task<RedisServer> StartAsync(RedisServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new RedisServerOptions();
        var ownsDirectory = options.DataDirectory is null;
        var directory = options.DataDirectory ?? Directory.CreateTempSubdirectory("rag-redis-").FullName;
        Directory.CreateDirectory(directory);

        // The free port can be taken between probing and binding: try a fresh one a few times.
        for (var attempt = 1; ; attempt++)
        {
            var server = new RedisServer(options, FreePort.GetFreeTcpPort(), directory, ownsDirectory);
            try
            {
                await server.StartProcessAsync(cancellationToken).ConfigureAwait(false);
                return server;
            }
            catch (InvalidOperationException) when (attempt < StartAttempts && server._process is { HasExited: true })
            {
                await server.DisposeProcessAsync().ConfigureAwait(false);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Graceful stop: SHUTDOWN (which writes the append-only file when persistent), then kill if it lingers.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        var process = _process;
        if (process is null || process.HasExited)
        {
            return;
        }

        await using (var client = CreateAdminClient())
        {
            try
            {
                await client.ExecuteAsync("SHUTDOWN", [], cancellationToken).ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // SHUTDOWN closes the connection instead of replying; a failure falls through to the kill below.
            }
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StopTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Kill();
        }
    }

    /// <summary>Kills the process at once (SIGKILL), as a crash would.</summary>
    public void Kill()
    {
        var process = _process;
        if (process is { HasExited: false })
        {
            process.Kill();
            process.WaitForExit(StopTimeout);
        }
    }

    /// <summary>Stops the server if running and starts it again on the same port, optionally with no data.</summary>
    public async Task RestartAsync(bool clearData = false, CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken).ConfigureAwait(false);
        await DisposeProcessAsync().ConfigureAwait(false);
        if (clearData)
        {
            foreach (var entry in new DirectoryInfo(DataDirectory).EnumerateFileSystemInfos())
            {
                if (entry is DirectoryInfo folder)
                {
                    folder.Delete(recursive: true);
                }
                else
                {
                    entry.Delete();
                }
            }
        }

        await StartProcessAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await DisposeProcessAsync().ConfigureAwait(false);
        if (_ownsDataDirectory && Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    private async Task StartProcessAsync(CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(_options.Executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in BuildArguments())
        {
            startInfo.ArgumentList.Add(argument);
        }

        lock (_recentOutput)
        {
            _recentOutput.Clear();
        }

        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, line) => Remember(line.Data);
        process.ErrorDataReceived += (_, line) => Remember(line.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception exception)
        {
            process.Dispose();
            throw new InvalidOperationException(
                $"Could not start '{_options.Executable}': {exception.Message}. Install Redis (Debian/Ubuntu: apt-get install redis-server).", exception);
        }

        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitUntilReadyAsync(process, cancellationToken).ConfigureAwait(false);
    }

    private List<string> BuildArguments()
    {
        var port = Port.ToString(CultureInfo.InvariantCulture);
        List<string> arguments = ["--bind", Host, "--dir", DataDirectory, "--daemonize", "no", "--save", string.Empty];
        arguments.AddRange(_options.Persistent
            ? ["--appendonly", "yes", "--appendfsync", "everysec"]
            : ["--appendonly", "no"]);
        if (_options.Tls is { } tls)
        {
            arguments.AddRange(["--port", "0", "--tls-port", port, "--tls-cert-file", tls.CertificateFile, "--tls-key-file", tls.PrivateKeyFile, "--tls-auth-clients", "no"]);
        }
        else
        {
            arguments.AddRange(["--port", port]);
        }

        if (_options.Password is not null)
        {
            arguments.AddRange(["--requirepass", _options.Password]);
        }

        return arguments;
    }

    private async Task WaitUntilReadyAsync(Process process, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.StartTimeout);
        await using var client = CreateAdminClient();
        Exception? lastError = null;
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode} during start on port {Port}. Output:{Environment.NewLine}{RecentOutput()}");
            }

            try
            {
                await client.PingAsync(deadline.Token).ConfigureAwait(false);
                return;
            }
            catch (RedisException exception)
            {
                lastError = exception;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(25), deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        throw new InvalidOperationException(
            $"redis-server on port {Port} did not answer PING within {_options.StartTimeout}. Output:{Environment.NewLine}{RecentOutput()}", lastError);
    }

    /// <summary>A short-lived client for readiness and SHUTDOWN; trusts any certificate, as it only talks to the process we started.</summary>
    private IRedisClient CreateAdminClient() => RedisClientFactory.Create(ConnectionString, new RedisClientOptions
    {
        ConnectTimeout = TimeSpan.FromSeconds(1),
        CommandTimeout = TimeSpan.FromSeconds(2),
        ReconnectBaseDelay = TimeSpan.Zero,
        CertificateValidation = _options.Tls is null ? null : (_, _, _, _) => true,
    });

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_recentOutput)
        {
            _recentOutput.Enqueue(line);
            if (_recentOutput.Count > 50)
            {
                _recentOutput.Dequeue();
            }
        }
    }

    private string RecentOutput()
    {
        lock (_recentOutput)
        {
            return string.Join(Environment.NewLine, _recentOutput);
        }
    }

    private async Task DisposeProcessAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync().ConfigureAwait(false);
            }

            process.Dispose();
        }
    }
}

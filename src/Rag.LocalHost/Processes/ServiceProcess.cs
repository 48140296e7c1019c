using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Rag.LocalHost.Processes;

/// <summary>
/// One of our .NET services (Api, Ingestion, Web) running as its own process, configured only through
/// environment variables, exactly as the AppHost configures it.
/// </summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private static readonly HttpClient HealthClient = new() { Timeout = TimeSpan.FromSeconds(5) };

    private readonly ServiceProcessOptions _options;
    private readonly StreamWriter _log;
    private Process? _process;

    private ServiceProcess(ServiceProcessOptions options)
    {
        _options = options;
        Directory.CreateDirectory(Path.GetDirectoryName(options.LogFile)!);
        _log = new StreamWriter(options.LogFile, append: true) { AutoFlush = true };
    }

    public string Name => _options.Name;

    public Uri Url => _options.Url;

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>How the last run ended; null while it runs or before the first start.</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public string LogFile => _options.LogFile;

    public static async Task<ServiceProcess> StartAsync(ServiceProcessOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var service = new ServiceProcess(options);
        await service.StartAsync(cancellationToken);
        return service;
    }

    /// <summary>Starts the process (again, after a stop or a kill) and waits until its <c>/health</c> answers 200.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        Launch();
        await WaitUntilHealthyAsync(_options.StartTimeout, cancellationToken);
    }

    /// <summary>Starts the process (again, after a stop or a kill) without waiting for it to become ready.</summary>
    public void Launch()
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException($"{Name} is already running.");
        }

        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(_options.AssemblyPath)!,
        };
        startInfo.ArgumentList.Add(_options.AssemblyPath);
        startInfo.Environment["ASPNETCORE_URLS"] = _options.Url.ToString().TrimEnd('/');
        foreach (var (key, value) in _options.Environment)
        {
            startInfo.Environment[key] = value;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => WriteLine(e.Data);
        process.ErrorDataReceived += (_, e) => WriteLine(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {Name}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    public async Task WaitUntilHealthyAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var healthUrl = new Uri(_options.Url, "/health");
        string lastProblem = "no answer yet";
        while (true)
        {
            if (_process is null || _process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process?.ExitCode} before it became healthy; see {LogFile}.");
            }

            try
            {
                using var response = await HealthClient.GetAsync(healthUrl, deadline.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                lastProblem = $"/health answered {(int)response.StatusCode}";
            }
            catch (HttpRequestException ex)
            {
                lastProblem = ex.Message;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lastProblem = "timed out";
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} did not become healthy within {timeout.TotalSeconds:0} s ({lastProblem}); see {LogFile}.");
            }
        }
    }

    /// <summary>Graceful stop: SIGTERM, then SIGKILL if the process outlives <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken = default)
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        if (Terminate(process.Id) != 0)
        {
            process.Kill(entireProcessTree: true);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>SIGKILL: the process gets no chance to clean up, as when a machine or container dies.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(10));
        _process?.Dispose();
        await _log.DisposeAsync();
    }

    private void WriteLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.WriteLine(line);
        }

        _options.Output?.Invoke(Name, line);
    }

    private static int Terminate(int processId) => OperatingSystem.IsWindows() ? -1 : SendSignal(processId, SigTerm);

    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}

public sealed class ServiceProcessOptions
{
    public required string Name { get; init; }

    /// <summary>The service's built entry assembly, run with <c>dotnet</c>.</summary>
    public required string AssemblyPath { get; init; }

    public required Uri Url { get; init; }

    public required string LogFile { get; init; }

    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Receives each line the process writes, with the service's name; null to keep the console quiet.</summary>
    public Action<string, string>? Output { get; init; }
}

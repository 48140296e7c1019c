using System.Diagnostics;

namespace Rag.LocalHost.Processes;

// Forwards a child process's output lines and keeps the last few for error messages.
internal sealed class ProcessOutput(Action<string> onLine)
{
    private const int TailLines = 40;

    private readonly Queue<string> _tail = new();
    private readonly Lock _gate = new();

    // Starts the process with its standard output and error redirected into this capture.
    public void StartCapturing(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public bool Contains(string text)
    {
        lock (_gate)
        {
            return _tail.Any(line => line.Contains(text, StringComparison.Ordinal));
        }
    }

    public string Tail()
    {
        lock (_gate)
        {
            return string.Join(Environment.NewLine, _tail);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _tail.Enqueue(line);
            if (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
        }

        onLine(line);
    }
}

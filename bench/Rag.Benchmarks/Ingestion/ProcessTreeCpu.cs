using System.Globalization;

namespace Rag.Benchmarks.Ingestion;

/// <summary>
/// CPU time of server processes read from /proc, with their children: PostgreSQL does its work in one backend process
/// per connection, forked by the postmaster. Linux only; elsewhere every figure is zero.
/// </summary>
internal sealed class ProcessTreeCpu(string name, Func<string, bool> isRoot)
{
    private const double TicksPerSecond = 100; // USER_HZ, the unit of /proc/<pid>/stat times, is 100 on Linux

    public string Name { get; } = name;

    /// <summary>PostgreSQL's postmaster is the process started with its data folder.</summary>
    public static ProcessTreeCpu Postgres(string dataDirectory) =>
        new("PostgreSQL", commandLine => commandLine.Contains("postgres", StringComparison.Ordinal) && commandLine.Contains(dataDirectory, StringComparison.Ordinal));

    public static ProcessTreeCpu Redis(int port) =>
        new("Redis", commandLine => commandLine.Contains("redis-server", StringComparison.Ordinal)
            && commandLine.Contains(":" + port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

    public TimeSpan Read()
    {
        if (!Directory.Exists("/proc"))
        {
            return TimeSpan.Zero;
        }

        var processes = new List<(int Id, int Parent, long Ticks, string CommandLine)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var id) && TryReadStat(directory, out var parent, out var ticks))
            {
                processes.Add((id, parent, ticks, ReadCommandLine(directory)));
            }
        }

        var tree = processes.Where(p => isRoot(p.CommandLine)).Select(p => p.Id).ToHashSet();
        for (var added = true; added;)
        {
            added = false;
            foreach (var process in processes)
            {
                added |= tree.Contains(process.Parent) && tree.Add(process.Id);
            }
        }

        return TimeSpan.FromSeconds(processes.Where(p => tree.Contains(p.Id)).Sum(p => p.Ticks) / TicksPerSecond);
    }

    // Fields after the command name, which is in parentheses and may hold spaces: state, ppid, … utime (14th), stime (15th).
    private static bool TryReadStat(string directory, out int parent, out long ticks)
    {
        parent = 0;
        ticks = 0;
        try
        {
            var stat = File.ReadAllText(Path.Combine(directory, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            parent = int.Parse(fields[1], CultureInfo.InvariantCulture);
            ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return true;
        }
        catch (IOException)
        {
            return false; // the process ended meanwhile
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string ReadCommandLine(string directory)
    {
        try
        {
            return File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}

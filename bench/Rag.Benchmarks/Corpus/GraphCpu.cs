using System.Diagnostics;
using System.Globalization;

namespace Rag.Benchmarks.Corpus;

/// <summary>
/// CPU time spent by the graph's processes and by the benchmark itself, read from /proc. On a shared machine the CPU
/// per request is the figure that does not depend on the neighbours, and the total is what the 2 cores must supply
/// for each request: 2,000 ms divided by it bounds the requests per second.
/// </summary>
internal readonly record struct GraphCpu(TimeSpan Api, TimeSpan Postgres, TimeSpan Redis, TimeSpan Client)
{
    public static GraphCpu Read(BenchmarkGraph bench)
    {
        var graph = bench.Graph;
        using var api = Process.GetProcessById(graph.Api.ProcessId ?? throw new InvalidOperationException("The API is not running."));
        using var client = Process.GetCurrentProcess();
        return new GraphCpu(
            api.TotalProcessorTime,
            ProcessTreeCpu(graph.Postgres.ProcessId),
            graph.Redis.ProcessId is { } redis ? ProcessTreeCpu(redis) : TimeSpan.Zero,
            client.TotalProcessorTime);
    }

    public static GraphCpu operator -(GraphCpu after, GraphCpu before) =>
        new(after.Api - before.Api, after.Postgres - before.Postgres, after.Redis - before.Redis, after.Client - before.Client);

    public string PerRequest(int requests)
    {
        string Ms(TimeSpan cpu) => (cpu.TotalMilliseconds / requests).ToString("F2", CultureInfo.InvariantCulture);
        return $"CPU per request: API {Ms(Api)} ms, PostgreSQL {Ms(Postgres)} ms, Redis {Ms(Redis)} ms, benchmark client {Ms(Client)} ms; " +
            $"total {Ms(Api + Postgres + Redis + Client)} ms";
    }

    // A process and its children (PostgreSQL's backends), in clock ticks of 10 ms, from /proc/<pid>/stat.
    private static TimeSpan ProcessTreeCpu(int parentId)
    {
        long ticks = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var processId))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue; // exited meanwhile
            }

            // Fields after the command name, which is in parentheses and may contain spaces.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (processId == parentId)
            {
                // The parent's own time, and that of its children that have exited (cutime, cstime).
                ticks += Field(fields, 11) + Field(fields, 12) + Field(fields, 13) + Field(fields, 14);
            }
            else if (Field(fields, 1) == parentId)
            {
                ticks += Field(fields, 11) + Field(fields, 12);
            }
        }

        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    // Index 0 is the state, field 3 in proc(5): field n of proc(5) is index n - 3.
    private static long Field(string[] fields, int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);
}

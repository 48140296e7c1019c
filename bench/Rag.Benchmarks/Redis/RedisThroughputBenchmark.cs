using System.CommandLine;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Rag.Core.Redis;
using Rag.LocalHost.Processes;

namespace Rag.Benchmarks.Redis;

/// <summary>
/// `redis`: compares our client's GET/SET throughput (64 concurrent callers) with redis-benchmark -P 16 against
/// the same freshly started redis-server. Target: at least half of redis-benchmark's rate.
/// </summary>
internal static class RedisThroughputBenchmark
{
    private const int Callers = 64;

    public static Command CreateCommand()
    {
        var requests = new Option<int>("--requests") { Description = "Requests per command type (SET and GET each).", DefaultValueFactory = _ => 200_000 };
        var rounds = new Option<int>("--rounds") { Description = "Alternating rounds of both; medians are compared, as the machine may be shared.", DefaultValueFactory = _ => 3 };
        var command = new Command("redis", "Throughput of our Redis client against redis-benchmark -P 16.") { requests, rounds };
        command.SetAction((parseResult, cancellationToken) =>
            RunAsync(parseResult.GetValue(requests), Math.Max(1, parseResult.GetValue(rounds)), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(int requests, int rounds, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {CpuModel()}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");
        await using var server = await RedisServer.StartAsync(cancellationToken: cancellationToken);
        await using var client = RedisClientFactory.Create(server.ConnectionString);
        // Warm-up as long as a round: the connection, the thread pool, and tiered JIT reaching optimized code
        // (redis-benchmark, in C, needs none).
        await RunClientAsync(client, requests, cancellationToken);

        var references = new List<double>();
        var ours = new List<double>();
        var cpuPerOperation = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            var beforeReference = HostCpuTimes.Read();
            var reference = await RunRedisBenchmarkAsync(server.Port, requests, cancellationToken);
            var beforeOurs = HostCpuTimes.Read();
            references.Add(reference.Mean);
            var run = await RunClientAsync(client, requests, cancellationToken);
            var afterOurs = HostCpuTimes.Read();
            ours.Add(run.OperationsPerSecond);
            cpuPerOperation.Add(run.CpuMicrosecondsPerOperation);
            Console.WriteLine(
                $"Round {round}: redis-benchmark -t set,get -n {requests} -c 64 -P 16: SET {reference.Set:N0}/s, GET {reference.Get:N0}/s, mean {reference.Mean:N0}/s; " +
                $"Rag.Core.Redis ({Callers} callers, {requests} SET + {requests} GET): {run.OperationsPerSecond:N0} ops/s, " +
                $"{run.CpuMicrosecondsPerOperation:0.00} µs CPU/op, {run.BytesAllocatedPerOperation:0} B allocated/op, " +
                $"{run.ThreadPoolWorkItemsPerOperation:0.00} thread-pool work items/op, {run.CompletionStalls} stalled completions; load average {LoadAverage()}; " +
                $"CPU time stolen by the hypervisor: {HostCpuTimes.StolenShare(beforeReference, beforeOurs)} during redis-benchmark, {HostCpuTimes.StolenShare(beforeOurs, afterOurs)} during ours");
        }

        var referenceMedian = Median(references);
        var oursMedian = Median(ours);
        Console.WriteLine($"Median: redis-benchmark {referenceMedian:N0}/s, Rag.Core.Redis {oursMedian:N0} ops/s, {Median(cpuPerOperation):0.00} µs CPU/op");
        Console.WriteLine($"Ratio: {oursMedian / referenceMedian:0.00} (target >= 0.50)");
        return 0;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }

    /// <summary>
    /// Each caller alternates SET and GET of its own keys with 3-byte values, as redis-benchmark does by default.
    /// The process's CPU time per operation does not depend on what else the machine runs, unlike the rate.
    /// </summary>
    private static async Task<ClientRun> RunClientAsync(IRedisClient client, int requestsPerType, CancellationToken cancellationToken)
    {
        var value = "xxx"u8.ToArray();
        var perCaller = requestsPerType / Callers;
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var workItemsBefore = ThreadPool.CompletedWorkItemCount;
        var stalls = 0L;
        using var stallListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == RedisTelemetry.Name && instrument.Name == "rag.redis.completion.stalls")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        stallListener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref stalls, value));
        stallListener.Start();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(
            async () =>
            {
                var key = "bench:" + caller.ToString(CultureInfo.InvariantCulture);
                for (var i = 0; i < perCaller; i++)
                {
                    await client.SetAsync(key, value, cancellationToken: cancellationToken);
                    await client.GetAsync(key, cancellationToken);
                }
            },
            cancellationToken)));
        watch.Stop();
        process.Refresh();
        double operations = perCaller * Callers * 2;
        return new ClientRun(
            operations / watch.Elapsed.TotalSeconds,
            (process.TotalProcessorTime - cpuBefore).TotalMicroseconds / operations,
            (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / operations,
            (ThreadPool.CompletedWorkItemCount - workItemsBefore) / operations,
            Interlocked.Read(ref stalls));
    }

    private static async Task<(double Set, double Get, double Mean)> RunRedisBenchmarkAsync(int port, int requests, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo("redis-benchmark") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-t", "set,get", "-n", requests.ToString(CultureInfo.InvariantCulture), "-c", "64", "-P", "16", "-q", "--csv" })
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("Could not start redis-benchmark (apt-get install redis-tools).");
        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);

        // "test","rps",...  then  "SET","574712.62",...
        var rates = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(',').Select(field => field.Trim().Trim('"')).ToArray())
            .Where(fields => fields.Length > 1 && fields[0] is "SET" or "GET")
            .ToDictionary(fields => fields[0], fields => double.Parse(fields[1], CultureInfo.InvariantCulture));
        if (!rates.TryGetValue("SET", out var set) || !rates.TryGetValue("GET", out var get))
        {
            throw new InvalidOperationException($"Unexpected redis-benchmark output:{Environment.NewLine}{output}");
        }

        return (set, get, (set + get) / 2);
    }

    /// <summary>
    /// Rate and CPU time depend on the machine's other load; allocations and thread-pool hops per operation
    /// hardly do, so they compare client versions even on a busy machine.
    /// </summary>
    private sealed record ClientRun(
        double OperationsPerSecond, double CpuMicrosecondsPerOperation, double BytesAllocatedPerOperation, double ThreadPoolWorkItemsPerOperation, long CompletionStalls);

    private static string LoadAverage()
    {
        const string loadAverage = "/proc/loadavg";
        return File.Exists(loadAverage) ? File.ReadAllText(loadAverage).Split(' ')[0] : "unknown";
    }

    /// <summary>
    /// The machine's CPU time, from the first line of /proc/stat. On a virtual machine, the share the hypervisor gave to
    /// others ("steal") varies from minute to minute; a round where it differs between the two clients compares unlike.
    /// </summary>
    private readonly record struct HostCpuTimes(long Stolen, long Total)
    {
        public static HostCpuTimes? Read()
        {
            const string stat = "/proc/stat";
            if (!File.Exists(stat))
            {
                return null;
            }

            // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is within user time)
            var ticks = File.ReadLines(stat).First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
                .Select(field => long.Parse(field, CultureInfo.InvariantCulture)).ToArray();
            return new HostCpuTimes(ticks[7], ticks.Sum());
        }

        public static string StolenShare(HostCpuTimes? before, HostCpuTimes? after) =>
            before is { } start && after is { } end && end.Total > start.Total
                ? $"{(double)(end.Stolen - start.Stolen) / (end.Total - start.Total):P0}"
                : "unknown";
    }

    private static string CpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        var model = File.Exists(cpuInfo)
            ? File.ReadLines(cpuInfo).FirstOrDefault(line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return model ?? System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }
}

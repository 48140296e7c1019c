using System.Globalization;

namespace Rag.Benchmarks.Corpus;

internal static class LatencyReport
{
    /// <param name="cpu">Process CPU time spent meanwhile: on a shared machine, CPU per operation is the figure
    /// that does not depend on what else runs, while latencies do.</param>
    public static string Describe(List<double> milliseconds, TimeSpan elapsed, TimeSpan cpu)
    {
        milliseconds.Sort();
        return string.Create(CultureInfo.InvariantCulture,
            $"{milliseconds.Count} operations in {elapsed.TotalSeconds:F1} s = {milliseconds.Count / elapsed.TotalSeconds:F0}/s; " +
            $"p50 {Percentile(milliseconds, 0.50):F2} ms, p90 {Percentile(milliseconds, 0.90):F2} ms, " +
            $"p99 {Percentile(milliseconds, 0.99):F2} ms, max {milliseconds[^1]:F2} ms; CPU {cpu.TotalMilliseconds / milliseconds.Count:F2} ms per operation");
    }

    private static double Percentile(List<double> sorted, double fraction) =>
        sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(fraction * sorted.Count) - 1)];
}

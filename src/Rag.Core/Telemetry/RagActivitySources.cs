using System.Diagnostics;

namespace Rag.Core.Telemetry;

/// <summary>
/// Our ActivitySources. ServiceDefaults subscribes to every "Rag.*" source, so a new one needs no wiring there.
/// Spans carry ids, counts and model names only, never document text or prompts.
/// </summary>
public static class RagActivitySources
{
    public static readonly ActivitySource Ingestion = new("Rag.Ingestion");

    public static readonly ActivitySource Retrieval = new("Rag.Retrieval");

    public static readonly ActivitySource Webhooks = new("Rag.Webhooks");

    public static readonly ActivitySource Generation = new("Rag.Generation");

    /// <summary>For the answer generator: a client span around one model call, tagged as OpenTelemetry's GenAI conventions name it.</summary>
    public static Activity? StartGeneration(string model, string operation = "chat")
    {
        ArgumentNullException.ThrowIfNull(model);
        var activity = Generation.StartActivity($"{operation} {model}", ActivityKind.Client);
        activity?.SetTag("gen_ai.operation.name", operation);
        activity?.SetTag("gen_ai.request.model", model);
        return activity;
    }

    /// <summary>
    /// The worker's span for one job: a child of the upload request whose trace context travelled with the job
    /// (the stream message's "traceparent", else the job row's), so one trace shows upload, queue hop and indexing.
    /// </summary>
    public static Activity? StartJobProcessing(Guid jobId, Guid documentId, int attempt, string? traceParent)
    {
        ActivityContext.TryParse(traceParent, traceState: null, isRemote: true, out var parent);
        var activity = Ingestion.StartActivity("process job", ActivityKind.Consumer, parent);
        activity?.SetTag("rag.job.id", jobId);
        activity?.SetTag("rag.document.id", documentId);
        activity?.SetTag("rag.job.attempt", attempt);
        activity?.SetTag("messaging.system", "redis");
        activity?.SetTag("messaging.operation.type", "process");
        return activity;
    }
}

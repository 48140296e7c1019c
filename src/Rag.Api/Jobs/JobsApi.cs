using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.HttpResults;
using Rag.Api.Auth;
using Rag.Api.Documents;
using Rag.Core.Documents;
using Rag.Core.Identity;
using Rag.Core.Jobs;

namespace Rag.Api.Jobs;

public sealed record JobResponse(
    Guid Id,
    Guid DocumentId,
    string Kind,
    string Status,
    float Progress,
    int Attempts,
    int MaxAttempts,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? CompletedAt);

public static class JobsApi
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public const string ServerStoppingEvent = "server_stopping";

    public static RouteGroupBuilder MapJobsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/jobs").WithTags("Jobs");
        group.MapGet("/{id:guid}", GetAsync).WithName("GetJob");
        group.MapGet("/{id:guid}/events", EventsAsync)
            .WithName("GetJobEvents")
            .WithSummary("Server-sent events: the job each time it changes, until it completes, fails or is cancelled.");
        return group;
    }

    public static async Task<Results<Ok<JobResponse>, NotFound>> GetAsync(
        Guid id, HttpContext context, JobStore jobs, DocumentStore documents, CollectionAccessStore access, CancellationToken cancellationToken) =>
        await FindVisibleAsync(id, context.GetCaller(), jobs, documents, access, cancellationToken) is { } job ? TypedResults.Ok(ToResponse(job)) : TypedResults.NotFound();

    public static async Task<Results<ServerSentEventsResult<JobResponse>, NotFound>> EventsAsync(
        Guid id,
        HttpContext context,
        JobStore jobs,
        DocumentStore documents,
        CollectionAccessStore access,
        IHostApplicationLifetime lifetime,
        CancellationToken cancellationToken)
    {
        if (await FindVisibleAsync(id, context.GetCaller(), jobs, documents, access, cancellationToken) is not { } first)
        {
            return TypedResults.NotFound();
        }

        return TypedResults.ServerSentEvents(Watch(first, jobs, lifetime.ApplicationStopping, cancellationToken));
    }

    // The jobs table is the truth, so the stream follows it; a quarter second is well below what a person notices.
    // When the server is stopping, the stream ends at once with a "server_stopping" event carrying the latest state,
    // so the response finishes cleanly within the shutdown grace period and the client knows to reconnect elsewhere.
    private static async IAsyncEnumerable<SseItem<JobResponse>> Watch(
        JobRecord first, JobStore jobs, CancellationToken stopping, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var current = first;
        yield return new SseItem<JobResponse>(ToResponse(current), "job");
        while (!JobStatus.IsFinal(current.Status))
        {
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping))
            {
                await Task.Delay(PollInterval, wait.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (stopping.IsCancellationRequested)
            {
                yield return new SseItem<JobResponse>(ToResponse(current), ServerStoppingEvent);
                yield break;
            }

            if (await jobs.GetAsync(current.Id, cancellationToken) is not { } next)
            {
                yield break;
            }

            if (next.UpdatedAt != current.UpdatedAt || next.Status != current.Status)
            {
                current = next;
                yield return new SseItem<JobResponse>(ToResponse(current), "job");
            }
        }
    }

    // A job is visible to whoever may see its document.
    private static async Task<JobRecord?> FindVisibleAsync(
        Guid id, Caller caller, JobStore jobs, DocumentStore documents, CollectionAccessStore access, CancellationToken cancellationToken) =>
        await jobs.GetAsync(id, cancellationToken) is { } job
        && await DocumentsApi.FindVisibleAsync(job.DocumentId, caller, documents, access, cancellationToken) is not null
            ? job
            : null;

    private static JobResponse ToResponse(JobRecord job) => new(
        job.Id, job.DocumentId, job.Kind, job.Status, job.Progress, job.Attempts, job.MaxAttempts, job.Error, job.CreatedAt, job.StartedAt, job.CompletedAt);
}

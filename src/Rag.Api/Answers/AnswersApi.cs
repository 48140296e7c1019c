using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Rag.Api.Auth;
using Rag.Api.Conversations;
using Rag.Api.Jobs;
using Rag.Api.Search;
using Rag.Core.Conversations;
using Rag.Core.Generation;
using Rag.Core.Identity;
using Rag.Core.Retrieval;

namespace Rag.Api.Answers;

public static class AnswersApi
{
    public const int MaxResultsLimit = 20;

    public const string ServerStoppingMessage = "The server is shutting down and stopped this answer before it was complete; ask again.";

    // When the server is told to stop, an answer in flight may finish within this share of the host's shutdown timeout;
    // after that it is cut short with a final "server_stopping" event, leaving the rest of the timeout to end the
    // response cleanly, so the client never sees a torn connection.
    private const double ShutdownShareForAnswers = 0.75;

    public static RouteGroupBuilder MapAnswersApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1").WithTags("Answers");
        group.MapPost("/query", QueryAsync)
            .WithName("Query")
            .WithSummary("Answers a question from the documents, citing numbered sources.");
        group.MapPost("/chat", ChatAsync)
            .WithName("Chat")
            .WithSummary("Answers as server-sent events: 'sources', then 'delta's, then 'done' (or 'server_stopping' when the server stops first). Starts or continues a conversation.");
        return group;
    }

    public static async Task<Results<Ok<QueryResponse>, ValidationProblem, NotFound>> QueryAsync(
        AnswerRequestBody request, HttpContext context, AnswerService answers, CollectionAccessStore access, CancellationToken cancellationToken)
    {
        if (Validate(request) is { } problem)
        {
            return problem;
        }

        try
        {
            var allowed = await access.GetAllowedAsync(context.GetCaller(), CollectionPermission.Read, cancellationToken);
            var result = await answers.AnswerAsync(ToAnswerRequest(request, allowed, startConversation: false), context.User.GetUserId(), context.TraceIdentifier, cancellationToken);
            return TypedResults.Ok(result.ToResponse());
        }
        catch (ConversationNotFoundException)
        {
            return TypedResults.NotFound();
        }
    }

    public static async Task<Results<ServerSentEventsResult<object>, ValidationProblem, NotFound>> ChatAsync(
        AnswerRequestBody request,
        HttpContext context,
        AnswerService answers,
        ConversationStore conversations,
        CollectionAccessStore access,
        IHostApplicationLifetime lifetime,
        IOptions<HostOptions> hostOptions,
        CancellationToken cancellationToken)
    {
        if (Validate(request) is { } problem)
        {
            return problem;
        }

        // Checked before the stream starts: once events flow, the status code is already 200.
        var ownerId = context.User.GetUserId();
        if (request.ConversationId is { } id && await conversations.GetAsync(id, ownerId, cancellationToken) is null)
        {
            return TypedResults.NotFound();
        }

        // Sources, and so citations, come only from collections the caller may read.
        var allowed = await access.GetAllowedAsync(context.GetCaller(), CollectionPermission.Read, cancellationToken);

        // The request's token ends the stream and the model call with it when the client goes away.
        var events = answers.StreamAsync(ToAnswerRequest(request, allowed, startConversation: true), ownerId, context.TraceIdentifier, cancellationToken);
        var finishWithin = hostOptions.Value.ShutdownTimeout * ShutdownShareForAnswers;
        return TypedResults.ServerSentEvents(ToServerSentEvents(events, lifetime.ApplicationStopping, finishWithin, cancellationToken));
    }

    private static async IAsyncEnumerable<SseItem<object>> ToServerSentEvents(
        IAsyncEnumerable<AnswerEvent> events, CancellationToken stopping, TimeSpan finishWithin, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var cutShort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var onStopping = stopping.Register(() => cutShort.CancelAfter(finishWithin));
        await using var answer = events.GetAsyncEnumerator(cutShort.Token);
        while (true)
        {
            bool more;
            try
            {
                more = await answer.MoveNextAsync();
            }
            catch (OperationCanceledException) when (cutShort.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                break;
            }

            if (!more)
            {
                yield break;
            }

            yield return answer.Current switch
            {
                AnswerSourcesEvent sources => new SseItem<object>(
                    new ChatSourcesEvent(sources.Sources.ToResponse(), sources.ConversationId, sources.StandaloneQuestion, sources.GuardrailsTriggered), "sources"),
                AnswerDeltaEvent delta => new SseItem<object>(new ChatDeltaEvent(delta.Text), "delta"),
                AnswerDoneEvent { Result: var result } => new SseItem<object>(
                    new ChatDoneEvent(result.RequestId, result.ConversationId, result.Answer, result.Confidence, result.Timings.ToResponse(), result.GuardrailsTriggered, result.Cached),
                    "done"),
                var unknown => throw new InvalidOperationException($"Unknown answer event {unknown.GetType().Name}."),
            };
        }

        // Cut short by the shutdown. The partial answer is neither stored in the conversation nor cached: only a complete one is.
        yield return new SseItem<object>(new ChatStoppingEvent(ServerStoppingMessage), JobsApi.ServerStoppingEvent);
    }

    private static ValidationProblem? Validate(AnswerRequestBody request)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Query))
        {
            errors["query"] = ["A query is required."];
        }
        else if (request.Query.Length > SearchApi.MaxQueryLength)
        {
            errors["query"] = [$"A query has at most {SearchApi.MaxQueryLength} characters."];
        }

        if (request.MaxResults is < 1 or > MaxResultsLimit)
        {
            errors["max_results"] = [$"max_results is between 1 and {MaxResultsLimit}."];
        }

        if (request.Threshold is < 0 or > 1)
        {
            errors["threshold"] = ["threshold is between 0 and 1."];
        }

        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : null;
    }

    private static AnswerRequest ToAnswerRequest(AnswerRequestBody request, IReadOnlyList<Guid>? allowedCollectionIds, bool startConversation)
    {
        var filters = request.Filters;
        return new AnswerRequest(
            request.Query!,
            request.MaxResults,
            request.Threshold,
            new SearchFilters(
                request.Collection is { Length: > 0 } collection ? [collection] : null,
                filters?.Tags, filters?.DocumentIds, filters?.ContentTypes, filters?.From, filters?.To, allowedCollectionIds),
            request.ConversationId,
            startConversation);
    }
}

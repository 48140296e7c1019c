using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Rag.Tests.ServiceDefaults;

// A loopback server that answers each request with the next scripted step, then 200 "ok" once the script runs out.
internal sealed class ScriptedServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<Func<HttpContext, Task>> script = new();
    private readonly ConcurrentQueue<ReceivedRequest> received = new();
    private LoopbackServer? server;

    public Uri Address => server!.Address;

    public IReadOnlyList<ReceivedRequest> Received => [.. received];

    public static async Task<ScriptedServer> StartAsync()
    {
        var scripted = new ScriptedServer();
        scripted.server = await LoopbackServer.StartAsync(app => app.Run(scripted.HandleAsync));
        return scripted;
    }

    public ScriptedServer Then(Func<HttpContext, Task> step)
    {
        script.Enqueue(step);
        return this;
    }

    public ScriptedServer ThenStatus(int statusCode, Action<HttpResponse>? configure = null) => Then(context =>
    {
        context.Response.StatusCode = statusCode;
        configure?.Invoke(context.Response);
        return Task.CompletedTask;
    });

    // Never answers; returns when the client gives up on the request.
    public ScriptedServer ThenHang(TaskCompletionSource? started = null) => Then(async context =>
    {
        started?.TrySetResult();
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
        }
    });

    public ValueTask DisposeAsync() => server?.DisposeAsync() ?? ValueTask.CompletedTask;

    private Task HandleAsync(HttpContext context)
    {
        received.Enqueue(new ReceivedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, DateTimeOffset.UtcNow));
        return script.TryDequeue(out var step) ? step(context) : context.Response.WriteAsync("ok", context.RequestAborted);
    }
}

internal sealed record ReceivedRequest(string Method, string PathAndQuery, DateTimeOffset At);

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using Rag.Core.Storage;
using Rag.Core.Telemetry;
using Rag.Core.Webhooks;

namespace Rag.Ingestion.Webhooks;

/// <summary>
/// Sends the webhook outbox: polls due deliveries, signs each (see <see cref="WebhookSignature"/>) and POSTs it;
/// a 2xx answer delivers it, anything else retries with exponential backoff until <see cref="WebhookOptions.MaxAttempts"/>.
/// Deliveries are at least once: a receiver de-duplicates by the delivery id header.
/// </summary>
internal sealed partial class WebhookSender : BackgroundService
{
    private const int BatchSize = 20;

    private readonly WebhookStore _store;
    private readonly IDatabaseMigrationStatus _migrations;
    private readonly WebhookOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookSender> _logger;
    private readonly HttpClient _http;

    public WebhookSender(WebhookStore store, IDatabaseMigrationStatus migrations, IOptions<WebhookOptions> options, TimeProvider time, ILogger<WebhookSender> logger)
    {
        _store = store;
        _migrations = migrations;
        _options = options.Value;
        _time = time;
        _logger = logger;

        // Not the factory's client: its retries and service discovery are not for other people's endpoints, and
        // every connection must go through the address check below. Redirects could lead anywhere, so none.
        _http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectCallback = ConnectToPermittedAddressAsync, UseProxy = false })
        {
            Timeout = _options.RequestTimeout,
        };
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await _migrations.WaitUntilAppliedAsync(stoppingToken);
        using var timer = new PeriodicTimer(_options.PollInterval, _time);
        do
        {
            try
            {
                IReadOnlyList<DueDelivery> due;
                do
                {
                    due = await _store.TakeDueAsync(BatchSize, _options.RequestTimeout * 2, stoppingToken);
                    await Task.WhenAll(due.Select(delivery => SendAsync(delivery, stoppingToken)));
                }
                while (due.Count == BatchSize);
            }
            catch (Exception error) when (error is Npgsql.NpgsqlException or TimeoutException)
            {
                // Taken deliveries come back when their lease runs out.
                Log.PollFailed(_logger, error.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task SendAsync(DueDelivery delivery, CancellationToken cancellationToken)
    {
        using var activity = RagActivitySources.Webhooks.StartActivity("send webhook", ActivityKind.Client);
        activity?.SetTag("rag.webhook.id", delivery.WebhookId);
        activity?.SetTag("rag.webhook.delivery.id", delivery.Id);
        activity?.SetTag("rag.webhook.event", delivery.Event);
        activity?.SetTag("rag.webhook.attempt", delivery.Attempt);

        var body = Encoding.UTF8.GetBytes(delivery.Payload);
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(WebhookSignature.IdHeader, delivery.Id.ToString());
        request.Headers.Add(WebhookSignature.EventHeader, delivery.Event);
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(delivery.Secret, timestamp, body));

        int? statusCode = null;
        string error;
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            statusCode = (int)response.StatusCode;
            activity?.SetTag("http.response.status_code", statusCode);
            if (response.IsSuccessStatusCode)
            {
                await _store.MarkDeliveredAsync(delivery.Id, statusCode.Value, CancellationToken.None);
                RagMetrics.RecordWebhookDelivery("delivered");
                return;
            }

            error = $"The endpoint answered {statusCode}.";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            error = $"No answer within {_options.RequestTimeout.TotalSeconds:0} s.";
        }
        catch (HttpRequestException exception)
        {
            // Our own refusal message is safe to show; the rest by kind only.
            error = exception.InnerException is WebhookAddressRefusedException refused ? refused.Message : $"Could not connect ({exception.HttpRequestError}).";
        }

        activity?.SetStatus(ActivityStatusCode.Error, error);
        var retryAfter = delivery.Attempt < _options.MaxAttempts ? _options.BackoffAfter(delivery.Attempt) : (TimeSpan?)null;
        await _store.MarkAttemptFailedAsync(delivery.Id, statusCode, error, retryAfter, CancellationToken.None);
        RagMetrics.RecordWebhookDelivery(retryAfter is null ? "failed" : "retrying");
        Log.AttemptFailed(_logger, delivery.Id, delivery.Attempt, error, retryAfter);
    }

    // The address check at connection time: DNS may have changed since the URL was registered (rebinding).
    private async ValueTask<Stream> ConnectToPermittedAddressAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var permitted = _options.AllowPrivateAddresses ? addresses : addresses.Where(WebhookAddressPolicy.IsPublic).ToArray();
        if (permitted.Length == 0)
        {
            throw new WebhookAddressRefusedException("The endpoint's host resolved to no public address; not sent.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(permitted, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed class WebhookAddressRefusedException(string message) : Exception(message);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId} attempt {Attempt} failed: {Error}; next try after {RetryAfter}")]
        public static partial void AttemptFailed(ILogger logger, Guid deliveryId, int attempt, string error, TimeSpan? retryAfter);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Polling webhook deliveries failed: {Reason}")]
        public static partial void PollFailed(ILogger logger, string reason);
    }
}

namespace Rag.ServiceDefaults.Resilience;

public static class HttpResilience
{
    // Retries are only made for idempotent methods. A caller whose POST or PATCH is safe to repeat (it carries an
    // idempotency key, say) opts in with request.Options.Set(HttpResilience.AllowRetries, true).
    public static readonly HttpRequestOptionsKey<bool> AllowRetries = new("Rag.HttpResilience.AllowRetries");
}

namespace Rag.ServiceDefaults.Resilience;

public static class HttpResilience
{
    // Retries are only made for idempotent methods. A caller whose POST or PATCH is safe to repeat (it carries an
    // idempotency key, say) opts in with request.Options.Set(HttpResilience.AllowRetries, true); a caller that wants
    // the answer of one attempt only (a health probe, which must answer within its own timeout) sets it to false.
    // Libraries that cannot reference this assembly use the same key by its name.
    public static readonly HttpRequestOptionsKey<bool> AllowRetries = new("Rag.HttpResilience.AllowRetries");
}

using System.Text;
using Microsoft.Extensions.Options;

namespace Rag.Api.Auth;

/// <summary>
/// Sign-in and token settings:
/// "Auth": { "SigningKey": "≥ 32 random bytes", "Issuer": "rag", "Audience": "rag-api", "TokenLifetime": "00:30:00",
///           "CallerCacheLifetime": "00:00:02", "BootstrapAdminUserName": "admin", "BootstrapAdminPassword": "…" }
/// </summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";
    public const int MinimumSigningKeyBytes = 32;
    public const int MinimumAdminPasswordLength = 12;

    /// <summary>Empty counts as missing (an unset environment variable arrives as "").</summary>
    public string? SigningKey { get; set; }

    public string Issuer { get; set; } = "rag";

    public string Audience { get; set; } = "rag-api";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How long a replica trusts what it read about a credential's user or key, and about the collections they may read
    /// or write; zero reads them on every request. Another replica's disabling, role change, revocation or change of
    /// access takes effect here within this time (this replica's at once).
    /// </summary>
    public TimeSpan CallerCacheLifetime { get; set; } = TimeSpan.FromSeconds(2);

    public string BootstrapAdminUserName { get; set; } = "admin";

    public string? BootstrapAdminPassword { get; set; }
}

/// <summary>Outside Development the API will not start with a missing, short or well-known signing key or admin password.</summary>
internal sealed class AuthOptionsValidator(IHostEnvironment environment) : IValidateOptions<AuthOptions>
{
    // Values copied from samples and tutorials; a key or password anyone can look up protects nothing.
    private static readonly HashSet<string> WellKnown = new(StringComparer.OrdinalIgnoreCase)
    {
        "secret", "changeme", "change-me", "password", "admin", "administrator", "your-256-bit-secret", "your-secret-key",
        "supersecretkey", "super-secret-key", "development", "default", "P@ssw0rd", "Passw0rd!", "admin123", "password123",
        "ThisIsMySecretKeyThatIsLongEnough", "my-super-secret-key-that-is-long-enough", "0123456789abcdef0123456789abcdef",
        "00000000000000000000000000000000",
    };

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        if (options.TokenLifetime <= TimeSpan.Zero || options.TokenLifetime > TimeSpan.FromDays(1))
        {
            failures.Add("Auth:TokenLifetime must be positive and at most one day.");
        }

        if (options.CallerCacheLifetime < TimeSpan.Zero || options.CallerCacheLifetime > TimeSpan.FromMinutes(1))
        {
            failures.Add("Auth:CallerCacheLifetime must be between zero and one minute.");
        }

        if (string.IsNullOrWhiteSpace(options.Issuer) || string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add("Auth:Issuer and Auth:Audience are required.");
        }

        if (string.IsNullOrWhiteSpace(options.BootstrapAdminUserName))
        {
            failures.Add("Auth:BootstrapAdminUserName cannot be empty.");
        }

        var development = environment.IsDevelopment();
        if (string.IsNullOrEmpty(options.SigningKey))
        {
            if (!development)
            {
                failures.Add("Auth:SigningKey is required: set it to at least 32 random bytes.");
            }
        }
        else if (Encoding.UTF8.GetByteCount(options.SigningKey) < AuthOptions.MinimumSigningKeyBytes || IsWeak(options.SigningKey))
        {
            failures.Add($"Auth:SigningKey is too weak: use at least {AuthOptions.MinimumSigningKeyBytes} random bytes, not a well-known value.");
        }

        if (string.IsNullOrEmpty(options.BootstrapAdminPassword))
        {
            if (!development)
            {
                failures.Add("Auth:BootstrapAdminPassword is required.");
            }
        }
        else if (options.BootstrapAdminPassword.Length < AuthOptions.MinimumAdminPasswordLength || IsWeak(options.BootstrapAdminPassword))
        {
            failures.Add($"Auth:BootstrapAdminPassword is too weak: use at least {AuthOptions.MinimumAdminPasswordLength} characters, not a well-known value.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsWeak(string value) => WellKnown.Contains(value) || value.Distinct().Count() < 4;
}

namespace Rag.Api.Auth;

/// <summary>
/// Limits shared by all replicas through Redis:
/// "RateLimits": { "PermitsPerWindow": 600, "Window": "00:01:00", "LoginPermitsPerWindow": 20, "LoginWindow": "00:01:00",
///                 "MaxLoginFailures": 5, "LockoutWindow": "00:15:00" }
/// </summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    /// <summary>Requests per caller (user or API key; client address when anonymous) per window.</summary>
    public int PermitsPerWindow { get; set; } = 600;

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Sign-in attempts per client address per window, whatever the user names.</summary>
    public int LoginPermitsPerWindow { get; set; } = 20;

    public TimeSpan LoginWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Failed sign-ins after which an account refuses sign-in until the lockout window passes.</summary>
    public int MaxLoginFailures { get; set; } = 5;

    public TimeSpan LockoutWindow { get; set; } = TimeSpan.FromMinutes(15);
}

using Rag.Core.Identity;

namespace Rag.Api.Auth;

/// <summary>Role policies, put once on each endpoint group. Anything not marked is still closed to anonymous callers.</summary>
public static class AuthorizationConventions
{
    public const string ReaderPolicy = "reader";
    public const string EditorPolicy = "editor";
    public const string AdminPolicy = "admin";

    public static TBuilder RequireReader<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(ReaderPolicy);

    public static TBuilder RequireEditor<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(EditorPolicy);

    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(AdminPolicy);

    internal static void AddRolePolicies(Microsoft.AspNetCore.Authorization.AuthorizationOptions options)
    {
        options.AddPolicy(ReaderPolicy, policy => policy.RequireRole(Roles.Admin, Roles.Editor, Roles.Reader));
        options.AddPolicy(EditorPolicy, policy => policy.RequireRole(Roles.Admin, Roles.Editor));
        options.AddPolicy(AdminPolicy, policy => policy.RequireRole(Roles.Admin));

        // An endpoint someone forgets to mark still requires a signed-in caller.
        options.FallbackPolicy = new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build();
    }
}

using Microsoft.AspNetCore.Http.HttpResults;
using Rag.Api.Auth;
using Rag.Core.Identity;

namespace Rag.Api.Admin;

public sealed record CreateUserRequest(string? UserName, string? Password, string? Role);

public sealed record ChangeRoleRequest(string? Role);

public sealed record UserResponse(Guid Id, string UserName, string Role, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt);

public sealed record CreateApiKeyRequest(Guid? UserId, string? Name);

/// <param name="Key">The key itself: shown in this response only, never again.</param>
public sealed record CreatedApiKeyResponse(Guid Id, Guid UserId, string Name, string Prefix, string Key, DateTimeOffset CreatedAt);

public sealed record ApiKeyResponse(Guid Id, Guid UserId, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

public sealed record GrantAccessRequest(string? PrincipalKind, Guid? PrincipalId, string? Permission);

/// <summary>Users, API keys and collection access; admins only, and every change is audited.</summary>
public static class AdminApi
{
    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/v1/admin").WithTags("Admin").RequireAdmin();
        group.MapPost("/users", CreateUserAsync).WithName("CreateUser");
        group.MapGet("/users", ListUsersAsync).WithName("ListUsers");
        group.MapPut("/users/{id:guid}/role", ChangeRoleAsync).WithName("ChangeUserRole");
        group.MapPost("/users/{id:guid}/disable", DisableUserAsync).WithName("DisableUser");
        group.MapPost("/api-keys", CreateApiKeyAsync).WithName("CreateApiKey").WithSummary("Creates an API key for a user; the key is in this response only.");
        group.MapGet("/api-keys", ListApiKeysAsync).WithName("ListApiKeys");
        group.MapDelete("/api-keys/{id:guid}", RevokeApiKeyAsync).WithName("RevokeApiKey");
        group.MapPut("/collections/{name}/access", GrantAccessAsync).WithName("GrantCollectionAccess");
        group.MapDelete("/collections/{name}/access/{kind}/{principalId:guid}", RevokeAccessAsync).WithName("RevokeCollectionAccess");
        return group;
    }

    public static async Task<Results<Created<UserResponse>, ValidationProblem, ProblemHttpResult>> CreateUserAsync(
        CreateUserRequest request, HttpContext context, UserStore users, AuditTrail audit, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.UserName) || request.UserName.Length > 64 || request.UserName.Any(char.IsControl))
        {
            errors["user_name"] = ["A user name has 1 to 64 characters and no control characters."];
        }

        if (request.Password is null || request.Password.Length < AuthOptions.MinimumAdminPasswordLength || request.Password.Length > 1024)
        {
            errors["password"] = [$"A password has {AuthOptions.MinimumAdminPasswordLength} to 1024 characters."];
        }

        if (!Roles.IsValid(request.Role))
        {
            errors["role"] = ["The role is admin, editor or reader."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        try
        {
            var user = await users.CreateAsync(request.UserName!.Trim(), request.Password!, request.Role!, cancellationToken);
            await audit.WriteAsync(context, "user.created", user.Id.ToString(), new { user_name = user.UserName, role = user.Role });
            return TypedResults.Created($"/api/v1/admin/users/{user.Id}", ToResponse(user));
        }
        catch (DuplicateUserNameException)
        {
            return TypedResults.Problem(title: "User exists", detail: "A user with that name already exists.", statusCode: StatusCodes.Status409Conflict);
        }
    }

    public static async Task<Ok<UserResponse[]>> ListUsersAsync(UserStore users, CancellationToken cancellationToken) =>
        TypedResults.Ok((await users.ListAsync(cancellationToken)).Select(ToResponse).ToArray());

    public static async Task<Results<Ok<UserResponse>, NotFound, ValidationProblem>> ChangeRoleAsync(
        Guid id, ChangeRoleRequest request, HttpContext context, UserStore users, CallerCache callers, AuditTrail audit, CancellationToken cancellationToken)
    {
        if (!Roles.IsValid(request.Role))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["role"] = ["The role is admin, editor or reader."] });
        }

        if (await users.SetRoleAsync(id, request.Role!, cancellationToken) is not { } user)
        {
            return TypedResults.NotFound();
        }

        callers.ForgetUser(id);
        await audit.WriteAsync(context, "user.role_changed", id.ToString(), new { role = user.Role });
        return TypedResults.Ok(ToResponse(user));
    }

    public static async Task<Results<Ok<UserResponse>, NotFound>> DisableUserAsync(
        Guid id, HttpContext context, UserStore users, CallerCache callers, AuditTrail audit, CancellationToken cancellationToken)
    {
        if (await users.DisableAsync(id, cancellationToken) is not { } user)
        {
            return TypedResults.NotFound();
        }

        callers.ForgetUser(id);
        await audit.WriteAsync(context, "user.disabled", id.ToString());
        return TypedResults.Ok(ToResponse(user));
    }

    public static async Task<Results<Created<CreatedApiKeyResponse>, ValidationProblem, NotFound>> CreateApiKeyAsync(
        CreateApiKeyRequest request, HttpContext context, UserStore users, ApiKeyStore apiKeys, AuditTrail audit, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["name"] = ["A key name has 1 to 100 characters."] });
        }

        // Without user_id the key is the calling admin's own.
        var userId = request.UserId ?? context.GetCaller().UserId;
        if (await users.GetAsync(userId, cancellationToken) is null)
        {
            return TypedResults.NotFound();
        }

        var created = await apiKeys.CreateAsync(userId, request.Name.Trim(), cancellationToken);
        var record = created.Record;
        await audit.WriteAsync(context, "api_key.created", record.Id.ToString(), new { user_id = userId, name = record.Name, prefix = record.Prefix });
        return TypedResults.Created(
            $"/api/v1/admin/api-keys/{record.Id}",
            new CreatedApiKeyResponse(record.Id, record.UserId, record.Name, record.Prefix, created.Key, record.CreatedAt));
    }

    public static async Task<Ok<ApiKeyResponse[]>> ListApiKeysAsync(ApiKeyStore apiKeys, Guid? userId, CancellationToken cancellationToken) =>
        TypedResults.Ok((await apiKeys.ListAsync(userId, cancellationToken))
            .Select(k => new ApiKeyResponse(k.Id, k.UserId, k.Name, k.Prefix, k.CreatedAt, k.LastUsedAt, k.RevokedAt)).ToArray());

    public static async Task<Results<NoContent, NotFound>> RevokeApiKeyAsync(
        Guid id, HttpContext context, ApiKeyStore apiKeys, CallerCache callers, AuditTrail audit, CancellationToken cancellationToken)
    {
        if (!await apiKeys.RevokeAsync(id, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        callers.ForgetApiKey(id);
        await audit.WriteAsync(context, "api_key.revoked", id.ToString());
        return TypedResults.NoContent();
    }

    public static async Task<Results<NoContent, NotFound, ValidationProblem>> GrantAccessAsync(
        string name, GrantAccessRequest request, HttpContext context, CollectionAccessStore access, AuditTrail audit, CancellationToken cancellationToken)
    {
        if (request.PrincipalKind is not (PrincipalKind.User or PrincipalKind.ApiKey) || request.PrincipalId is null
            || request.Permission is not (CollectionPermission.Read or CollectionPermission.Write))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["access"] = ["principal_kind is user or api_key, principal_id is required, permission is read or write."],
            });
        }

        if (await access.GetIdAsync(name, cancellationToken) is not { } collectionId)
        {
            return TypedResults.NotFound();
        }

        await access.GrantAsync(collectionId, request.PrincipalKind, request.PrincipalId.Value, request.Permission, cancellationToken);
        await audit.WriteAsync(context, "collection.access_granted", name,
            new { principal_kind = request.PrincipalKind, principal_id = request.PrincipalId, permission = request.Permission });
        return TypedResults.NoContent();
    }

    public static async Task<Results<NoContent, NotFound>> RevokeAccessAsync(
        string name, string kind, Guid principalId, HttpContext context, CollectionAccessStore access, AuditTrail audit, CancellationToken cancellationToken)
    {
        if (await access.GetIdAsync(name, cancellationToken) is not { } collectionId
            || !await access.RevokeAsync(collectionId, kind, principalId, cancellationToken))
        {
            return TypedResults.NotFound();
        }

        await audit.WriteAsync(context, "collection.access_revoked", name, new { principal_kind = kind, principal_id = principalId });
        return TypedResults.NoContent();
    }

    private static UserResponse ToResponse(UserRecord user) => new(user.Id, user.UserName, user.Role, user.CreatedAt, user.DisabledAt);
}

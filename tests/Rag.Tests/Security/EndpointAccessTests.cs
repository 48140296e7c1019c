using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Rag.Tests.Graph;

namespace Rag.Tests.Security;

[Collection(SecurityCollection.Name)]
public sealed class EndpointAccessTests(SecurityFixture fixture)
{
    // The only doors open without credentials; anything else the API maps must answer 401 to an anonymous caller.
    private static readonly string[] AnonymousAllowList = ["/health", "/alive", "/openapi", "/api/v1/auth/token"];

    private static readonly string[] RolesByRank = ["reader", "editor", "admin"];

    [Fact]
    public async Task EveryEndpointRefusesAnonymousCallersAndCallersBelowItsRoleAndServesItsRole()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        using var admin = await fixture.Api.SignInAsAdminAsync();
        await ApiHost.CreateUserAsync(admin, "reader-" + suffix, "reader-password-1", "reader");
        await ApiHost.CreateUserAsync(admin, "editor-" + suffix, "editor-password-1", "editor");
        var clients = new Dictionary<string, HttpClient>
        {
            ["reader"] = await fixture.Api.SignInAsync("reader-" + suffix, "reader-password-1"),
            ["editor"] = await fixture.Api.SignInAsync("editor-" + suffix, "editor-password-1"),
            ["admin"] = admin,
        };
        using var anonymous = fixture.Api.CreateClient(null);

        var endpoints = MappedEndpoints();
        Assert.Contains(endpoints, e => e.Pattern == "/api/v1/documents/" && e.Method == "POST");
        var failures = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var name = $"{endpoint.Method} {endpoint.Pattern}";
            if (AnonymousAllowList.Any(open => endpoint.Pattern.StartsWith(open, StringComparison.Ordinal)))
            {
                if (!endpoint.AllowsAnonymous)
                {
                    failures.Add($"{name} is on the anonymous allow-list but requires authorization");
                }

                continue;
            }

            if (endpoint.AllowsAnonymous)
            {
                failures.Add($"{name} allows anonymous callers but is not on the allow-list");
                continue;
            }

            var required = endpoint.Policies.Intersect(RolesByRank).Select(p => Array.IndexOf(RolesByRank, p)).DefaultIfEmpty(-1).Max();
            if (required < 0)
            {
                failures.Add($"{name} has no role policy (RequireReader, RequireEditor or RequireAdmin)");
                continue;
            }

            using (var response = await SendAsync(anonymous, endpoint))
            {
                if (response.StatusCode != HttpStatusCode.Unauthorized)
                {
                    failures.Add($"{name} answered {(int)response.StatusCode} to an anonymous caller, not 401");
                }
            }

            for (var rank = 0; rank < RolesByRank.Length; rank++)
            {
                using var response = await SendAsync(clients[RolesByRank[rank]], endpoint);
                var refused = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
                if (rank < required && response.StatusCode != HttpStatusCode.Forbidden)
                {
                    failures.Add($"{name} answered {(int)response.StatusCode} to a {RolesByRank[rank]}, not 403");
                }
                else if (rank >= required && refused)
                {
                    failures.Add($"{name} refused a {RolesByRank[rank]} with {(int)response.StatusCode}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task ExpiredTamperedForeignAndUnsignedTokensAreRefused()
    {
        var userId = await AdminIdAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        JsonObject Claims(long expires, string audience = "rag-api", string issuer = "rag") => new()
        {
            ["iss"] = issuer, ["aud"] = audience, ["sub"] = userId.ToString(), ["role"] = "admin", ["nbf"] = now - 60, ["exp"] = expires,
        };

        // A token we sign ourselves with the right key must pass, or the refusals below would prove nothing.
        var valid = Sign("""{"alg":"HS256","typ":"JWT"}""", Claims(now + 300));
        using (var client = fixture.Api.CreateClient(valid))
        using (var response = await client.GetAsync("/api/v1/auth/me"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var parts = valid.Split('.');
        var unsigned = Encode("""{"alg":"none","typ":"JWT"}""") + "." + parts[1] + ".";
        var tamperedClaims = Claims(now + 300);
        tamperedClaims["sub"] = Guid.NewGuid().ToString();
        var tampered = parts[0] + "." + Encode(tamperedClaims.ToJsonString()) + "." + parts[2];
        var rejected = new Dictionary<string, string>
        {
            ["expired"] = Sign("""{"alg":"HS256","typ":"JWT"}""", Claims(now - 120)),
            ["wrong audience"] = Sign("""{"alg":"HS256","typ":"JWT"}""", Claims(now + 300, audience: "someone-else")),
            ["wrong issuer"] = Sign("""{"alg":"HS256","typ":"JWT"}""", Claims(now + 300, issuer: "evil")),
            ["tampered"] = tampered,
            ["alg none"] = unsigned,
            ["alg none, signed"] = Sign("""{"alg":"none","typ":"JWT"}""", Claims(now + 300)),
            ["alg HS512"] = Sign("""{"alg":"HS512","typ":"JWT"}""", Claims(now + 300)),
            ["garbage"] = "not.a.token",
            ["wrong key"] = Sign("""{"alg":"HS256","typ":"JWT"}""", Claims(now + 300), "another-signing-key-of-sufficient-length-123"),
        };
        foreach (var (kind, token) in rejected)
        {
            using var client = fixture.Api.CreateClient(token);
            using var response = await client.GetAsync("/api/v1/auth/me");
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"A {kind} token answered {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task AnApiKeyActsAsItsUserUntilRevoked()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        using var admin = await fixture.Api.SignInAsAdminAsync();
        var readerId = await ApiHost.CreateUserAsync(admin, "keyed-" + suffix, "keyed-password-1", "reader");
        using var created = await admin.PostAsJsonAsync("/api/v1/admin/api-keys", new { user_id = readerId, name = "ci" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        var key = body.GetString("key");
        Assert.StartsWith("rag_", key, StringComparison.Ordinal);

        using var program = fixture.Api.CreateClient(key);
        var me = (await program.GetFromJsonAsync<JsonObject>("/api/v1/auth/me"))!;
        Assert.Equal("keyed-" + suffix, me.GetString("user_name"));
        Assert.Equal("reader", me.GetString("role"));
        using (var forbidden = await program.GetAsync("/api/v1/admin/users"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }

        // Two uses, one audit row: key use is recorded at most once a minute.
        await using (var connection = new NpgsqlConnection(fixture.SharedDatabase))
        {
            await connection.OpenAsync();
            await using var audit = new NpgsqlCommand("SELECT count(*) FROM audit_log WHERE action = 'api_key.used' AND target = $1", connection);
            audit.Parameters.Add(new() { Value = body.GetString("id") });
            Assert.Equal(1L, (long)(await audit.ExecuteScalarAsync())!);
        }

        // The key is shown once: the listing has its prefix only.
        var listing = await admin.GetStringAsync($"/api/v1/admin/api-keys?user_id={readerId}");
        Assert.DoesNotContain(key, listing, StringComparison.Ordinal);
        Assert.Contains(body.GetString("prefix"), listing, StringComparison.Ordinal);

        using (var revoke = await admin.DeleteAsync($"/api/v1/admin/api-keys/{body.GetGuid("id")}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        using var afterRevoke = await program.GetAsync("/api/v1/auth/me");
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevoke.StatusCode);
    }

    [Fact]
    public async Task ADisabledUsersTokenStopsWorking()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        using var admin = await fixture.Api.SignInAsAdminAsync();
        var id = await ApiHost.CreateUserAsync(admin, "leaver-" + suffix, "leaver-password-1", "editor");
        using var leaver = await fixture.Api.SignInAsync("leaver-" + suffix, "leaver-password-1");
        Assert.Equal(HttpStatusCode.OK, (await leaver.GetAsync("/api/v1/auth/me")).StatusCode);

        using (var disable = await admin.PostAsync($"/api/v1/admin/users/{id}/disable", null))
        {
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await leaver.GetAsync("/api/v1/auth/me")).StatusCode);
        using var anonymous = fixture.Api.CreateClient(null, "10.7.7.7");
        using var signIn = await anonymous.PostAsJsonAsync("/api/v1/auth/token", new { user_name = "leaver-" + suffix, password = "leaver-password-1" });
        Assert.Equal(HttpStatusCode.Unauthorized, signIn.StatusCode);
    }

    private async Task<Guid> AdminIdAsync()
    {
        using var admin = await fixture.Api.SignInAsAdminAsync();
        return (await admin.GetFromJsonAsync<JsonObject>("/api/v1/auth/me"))!.GetGuid("user_id");
    }

    private static string Sign(string header, JsonObject claims, string key = SecurityFixture.SigningKey)
    {
        var input = Encode(header) + "." + Encode(claims.ToJsonString());
        return input + "." + Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.ASCII.GetBytes(input)));
    }

    private static string Encode(string json) => Base64Url(Encoding.UTF8.GetBytes(json));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record MappedEndpoint(string Method, string Pattern, bool AllowsAnonymous, IReadOnlyList<string> Policies, bool TakesMultipart);

    // Taken from the running app's own routing table, so an endpoint added later is walked without editing this test.
    private List<MappedEndpoint> MappedEndpoints() =>
        [.. fixture.Api.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(method => new MappedEndpoint(
                method,
                "/" + (e.RoutePattern.RawText ?? string.Empty).TrimStart('/'),
                e.Metadata.GetMetadata<IAllowAnonymous>() is not null,
                [.. e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).OfType<string>()],
                e.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes.Contains("multipart/form-data") == true)))];

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, MappedEndpoint endpoint)
    {
        var path = System.Text.RegularExpressions.Regex.Replace(endpoint.Pattern, @"\{(\w+)(:[^}]*)?\}", match => match.Groups[2].Value.Contains("guid", StringComparison.Ordinal)
            ? Guid.NewGuid().ToString()
            : match.Groups[1].Value == "kind" ? "user" : "no-such-" + match.Groups[1].Value);
        using var request = new HttpRequestMessage(new HttpMethod(endpoint.Method), path);
        // A body of the endpoint's own content type, so routing's content-type check does not answer before authorization.
        if (endpoint.TakesMultipart)
        {
            request.Content = new MultipartFormDataContent { { new StringContent("walk"), "collection" } };
        }
        else if (endpoint.Method is "POST" or "PUT" or "PATCH")
        {
            request.Content = JsonContent.Create(new { });
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
    }
}

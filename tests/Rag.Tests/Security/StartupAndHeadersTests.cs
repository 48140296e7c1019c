using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Rag.Core.Identity;

namespace Rag.Tests.Security;

[Collection(SecurityCollection.Name)]
public sealed class StartupAndHeadersTests(SecurityFixture fixture)
{
    [Theory]
    [InlineData("Auth:SigningKey", null, "Auth:SigningKey is required")]
    [InlineData("Auth:SigningKey", "too-short-key", "Auth:SigningKey is too weak")]
    [InlineData("Auth:SigningKey", "your-256-bit-secret", "Auth:SigningKey is too weak")]
    [InlineData("Auth:SigningKey", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "Auth:SigningKey is too weak")]
    [InlineData("Auth:BootstrapAdminPassword", null, "Auth:BootstrapAdminPassword is required")]
    [InlineData("Auth:BootstrapAdminPassword", "changeme", "Auth:BootstrapAdminPassword is too weak")]
    public async Task OutsideDevelopmentTheApiRefusesToStartWithAWeakSecret(string key, string? value, string expectedError)
    {
        Exception error;
        var attempts = 0;
        do
        {
            await using var host = fixture.CreateHost(fixture.SharedDatabase, new Dictionary<string, string?> { [key] = value }, environment: "Production");
            error = Assert.ThrowsAny<Exception>(() => host.CreateClient());

            // WebApplicationFactory races an application that fails at start: when the application has disposed its
            // services first, the factory throws ObjectDisposedException and the reason is lost (dotnet/aspnetcore#33494).
        }
        while (error is ObjectDisposedException && ++attempts < 3);

        Assert.True(error.ToString().Contains(expectedError, StringComparison.Ordinal), error.ToString());
    }

    [Fact]
    public async Task ResponsesCarrySecurityHeadersAndCorsAllowsOnlyConfiguredOrigins()
    {
        await using var host = fixture.CreateHost(fixture.SharedDatabase, new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = "https://rag.example" });
        using var client = host.CreateClient(null);
        using var response = await client.GetAsync("/api/v1/auth/me");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Strict-Transport-Security"), "HSTS belongs on TLS responses only");

        foreach (var (origin, allowed) in new[] { ("https://rag.example", true), ("https://evil.example", false) })
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/v1/search");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
            using var answer = await client.SendAsync(preflight);
            Assert.Equal(allowed, answer.Headers.TryGetValues("Access-Control-Allow-Origin", out var origins) && origins.Single() == origin);
        }
    }

    [Fact]
    public async Task TheBootstrapAdminIsCreatedOnceWithASlowSaltedHash()
    {
        using var admin = await fixture.Api.SignInAsAdminAsync();
        await using var connection = new NpgsqlConnection(fixture.SharedDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT password_hash, role FROM users WHERE user_name = 'admin'", connection);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var hash = reader.GetString(0);
        Assert.Equal("admin", reader.GetString(1));
        Assert.StartsWith($"pbkdf2-sha256${PasswordHashing.Iterations}$", hash, StringComparison.Ordinal);
        Assert.DoesNotContain(SecurityFixture.AdminPassword, hash, StringComparison.Ordinal);
        Assert.False(await reader.ReadAsync());
    }

    [Fact]
    public void PasswordHashesAreSaltedVerifiableAndUpgradable()
    {
        var first = PasswordHashing.Hash("correct horse");
        var second = PasswordHashing.Hash("correct horse");
        Assert.NotEqual(first, second);
        Assert.True(PasswordHashing.Verify("correct horse", first));
        Assert.False(PasswordHashing.Verify("correct horsf", first));
        Assert.False(PasswordHashing.NeedsRehash(first));

        // A hash made with fewer iterations still verifies, and is flagged for upgrade.
        var weaker = first.Replace($"${PasswordHashing.Iterations}$", "$1000$", StringComparison.Ordinal);
        Assert.False(PasswordHashing.Verify("correct horse", weaker), "changing the cost must change the result");
        Assert.True(PasswordHashing.NeedsRehash(weaker));
        Assert.False(PasswordHashing.Verify("x", "md5$abc"));
    }

    [Fact]
    public async Task ASignInUpgradesAnOlderCheaperHash()
    {
        using var admin = await fixture.Api.SignInAsAdminAsync();
        var name = "upgraded-" + Guid.NewGuid().ToString("N")[..8];
        var userId = await ApiHost.CreateUserAsync(admin, name, "upgrade-password-1", "reader");
        var salt = new byte[16];
        var cheap = "pbkdf2-sha256$1000$" + Convert.ToBase64String(salt) + "$" + Convert.ToBase64String(
            System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2("upgrade-password-1"u8, salt, 1000, System.Security.Cryptography.HashAlgorithmName.SHA256, 32));
        await using var connection = new NpgsqlConnection(fixture.SharedDatabase);
        await connection.OpenAsync();
        await using (var downgrade = new NpgsqlCommand("UPDATE users SET password_hash = $2 WHERE id = $1", connection))
        {
            downgrade.Parameters.Add(new() { Value = userId });
            downgrade.Parameters.Add(new() { Value = cheap });
            await downgrade.ExecuteNonQueryAsync();
        }

        await fixture.Api.GetTokenAsync(name, "upgrade-password-1");

        await using var read = new NpgsqlCommand("SELECT password_hash FROM users WHERE id = $1", connection);
        read.Parameters.Add(new() { Value = userId });
        var upgraded = (string)(await read.ExecuteScalarAsync())!;
        Assert.StartsWith($"pbkdf2-sha256${PasswordHashing.Iterations}$", upgraded, StringComparison.Ordinal);
        Assert.True(PasswordHashing.Verify("upgrade-password-1", upgraded));
    }

    [Fact]
    public async Task UploadsDeletionsAndAdminActionsAreAudited()
    {
        using var admin = await fixture.Api.SignInAsAdminAsync();
        var name = "audited-" + Guid.NewGuid().ToString("N")[..8];
        var userId = await ApiHost.CreateUserAsync(admin, name, "audited-password-1", "reader");
        using (var role = await admin.PutAsJsonAsync($"/api/v1/admin/users/{userId}/role", new { role = "editor" }))
        {
            Assert.Equal(HttpStatusCode.OK, role.StatusCode);
        }

        using var form = new MultipartFormDataContent { { new StringContent(name), "collection" } };
        form.Add(new ByteArrayContent("audited text"u8.ToArray()), "files", "audited.txt");
        using var upload = await admin.PostAsync("/api/v1/documents", form);
        var documentId = (await upload.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["documents"]![0]!["document_id"]!.GetValue<Guid>();
        using (var delete = await admin.DeleteAsync($"/api/v1/documents/{documentId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        await using var connection = new NpgsqlConnection(fixture.SharedDatabase);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT action, actor, request_id FROM audit_log WHERE target IN ($1, $2) ORDER BY id", connection);
        command.Parameters.Add(new() { Value = userId.ToString() });
        command.Parameters.Add(new() { Value = documentId.ToString() });
        var rows = new List<(string Action, string Actor, string? RequestId)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
            }
        }

        Assert.Equal(["user.created", "user.role_changed", "document.uploaded", "document.deleted"], rows.Select(r => r.Action));
        Assert.All(rows, r => Assert.Equal("admin", r.Actor));
        Assert.All(rows, r => Assert.False(string.IsNullOrEmpty(r.RequestId)));
    }
}

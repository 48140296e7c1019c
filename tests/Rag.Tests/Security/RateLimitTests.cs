using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Rag.LocalHost.Processes;

namespace Rag.Tests.Security;

// Two API hosts on one Redis and one database stand for two replicas: a limit that held per process would let twice through.
[Collection(SecurityCollection.Name)]
public sealed class RateLimitTests(SecurityFixture fixture)
{
    [Fact]
    public async Task ABruteForceSignInBurstIsLimitedAcrossTwoReplicas()
    {
        var database = await fixture.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?> { ["RateLimits:LoginPermitsPerWindow"] = "6", ["RateLimits:MaxLoginFailures"] = "100" };
        await using var first = fixture.CreateHost(database, settings);
        await using var second = fixture.CreateHost(database, settings);
        var attacker = "10.66." + Random.Shared.Next(256) + "." + Random.Shared.Next(256);
        using var viaFirst = first.CreateClient(null, attacker);
        using var viaSecond = second.CreateClient(null, attacker);

        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 10; attempt++)
        {
            // Different user names each time: the per-address limit, not the per-account lockout, is what stops this.
            using var response = await (attempt % 2 == 0 ? viaFirst : viaSecond).PostAsJsonAsync(
                "/api/v1/auth/token", new { user_name = $"guess-{attempt}", password = "password" + attempt });
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) >= 1);
                var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
                Assert.Equal(429, problem["status"]!.GetValue<int>());
                Assert.NotNull(problem["request_id"]);
            }
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 6).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 4)), statuses);

        // Another address is not affected, and the attempts were counted in the audit log with their address.
        using var someoneElse = second.CreateClient(null, "10.67.0.1");
        using (var honest = await someoneElse.PostAsJsonAsync("/api/v1/auth/token", new { user_name = "admin", password = SecurityFixture.AdminPassword }))
        {
            Assert.Equal(HttpStatusCode.OK, honest.StatusCode);
        }

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var audit = new NpgsqlCommand("SELECT action, count(*) FROM audit_log WHERE client_ip = $1::inet GROUP BY action ORDER BY action", connection);
        audit.Parameters.Add(new() { Value = attacker });
        var counts = new Dictionary<string, long>();
        await using (var rows = await audit.ExecuteReaderAsync())
        {
            while (await rows.ReadAsync())
            {
                counts[rows.GetString(0)] = rows.GetInt64(1);
            }
        }

        Assert.Equal(new Dictionary<string, long> { ["login.failed"] = 6, ["login.throttled"] = 4 }, counts);
    }

    [Fact]
    public async Task AnAccountLocksAfterRepeatedFailuresEvenFromManyAddresses()
    {
        var database = await fixture.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?> { ["RateLimits:MaxLoginFailures"] = "3" };
        await using var first = fixture.CreateHost(database, settings);
        await using var second = fixture.CreateHost(database, settings);
        using (var admin = await first.SignInAsAdminAsync())
        {
            await ApiHost.CreateUserAsync(admin, "victim", "victim-password-1", "reader");
        }

        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var client = (attempt % 2 == 0 ? first : second).CreateClient(null, $"10.68.0.{attempt + 1}");
            using var failed = await client.PostAsJsonAsync("/api/v1/auth/token", new { user_name = "VICTIM", password = "wrong-" + attempt });
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }

        // Now even the right password is refused until the lockout passes.
        using var owner = second.CreateClient(null, "10.68.1.1");
        using var locked = await owner.PostAsJsonAsync("/api/v1/auth/token", new { user_name = "victim", password = "victim-password-1" });
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
        Assert.True(locked.Headers.RetryAfter is not null);
    }

    [Fact]
    public async Task ACallersRequestsAreLimitedAcrossTwoReplicas()
    {
        var database = await fixture.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?> { ["RateLimits:PermitsPerWindow"] = "5" };
        await using var first = fixture.CreateHost(database, settings);
        await using var second = fixture.CreateHost(database, settings);
        var token = await first.GetTokenAsync("admin", SecurityFixture.AdminPassword);
        using var viaFirst = first.CreateClient(token);
        using var viaSecond = second.CreateClient(token);

        var statuses = new List<HttpStatusCode>();
        for (var request = 0; request < 8; request++)
        {
            using var response = await (request % 2 == 0 ? viaFirst : viaSecond).GetAsync("/api/v1/auth/me");
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, 5).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 3)), statuses);

        // Health probes are never limited.
        using var probe = await viaFirst.GetAsync("/alive");
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
    }

    [Fact]
    public async Task WithoutRedisCallsAreServedUnlimitedButSignInIsRefused()
    {
        await using var redis = await RedisServer.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var database = await fixture.CreateDatabaseAsync();
        await using var host = fixture.CreateHost(database, new Dictionary<string, string?>
        {
            ["ConnectionStrings:cache"] = redis.ConnectionString,
            ["Redis:CommandTimeout"] = "00:00:02",
        });
        var token = await host.GetTokenAsync("admin", SecurityFixture.AdminPassword);
        await redis.StopAsync();

        using var client = host.CreateClient(token);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using (var me = await client.GetAsync("/api/v1/auth/me", timeout.Token))
        {
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        }

        using var signIn = await client.PostAsJsonAsync("/api/v1/auth/token", new { user_name = "admin", password = SecurityFixture.AdminPassword }, timeout.Token);
        await HostileInputTests.AssertProblemAsync(signIn, HttpStatusCode.ServiceUnavailable);
    }
}

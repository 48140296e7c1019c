using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Rag.Api.Auth;
using Rag.Core.Identity;
using Rag.Tests.Graph;
using Rag.Tests.Infrastructure;

namespace Rag.Tests.Security;

public sealed class CallerCacheTests
{
    private static readonly Caller Alice = new(Guid.NewGuid(), "alice", Roles.Editor, null);
    private static readonly Caller AlicesKey = Alice with { ApiKeyId = Guid.NewGuid() };
    private static readonly Caller Bob = new(Guid.NewGuid(), "bob", Roles.Reader, null);

    [Fact]
    public async Task ACallerIsLookedUpAgainOnlyAfterTheLifetime()
    {
        var time = new ManualTime();
        var cache = Create(time, TimeSpan.FromSeconds(2));
        var lookups = 0;
        Task<Caller?> LookUp(CancellationToken _)
        {
            lookups++;
            return Task.FromResult<Caller?>(Alice);
        }

        Assert.Same(Alice, await cache.GetOrLookUpAsync("user:alice", LookUp));
        time.Advance(TimeSpan.FromMilliseconds(1_900));
        Assert.Same(Alice, await cache.GetOrLookUpAsync("user:alice", LookUp));
        Assert.Equal(1, lookups);

        time.Advance(TimeSpan.FromMilliseconds(200));
        await cache.GetOrLookUpAsync("user:alice", LookUp);
        Assert.Equal(2, lookups);
    }

    [Fact]
    public async Task ARejectedCredentialIsNotRemembered()
    {
        var cache = Create(new ManualTime(), TimeSpan.FromSeconds(2));
        var lookups = 0;
        Task<Caller?> Reject(CancellationToken _)
        {
            lookups++;
            return Task.FromResult<Caller?>(null);
        }

        Assert.Null(await cache.GetOrLookUpAsync("key:unknown", Reject));
        Assert.Null(await cache.GetOrLookUpAsync("key:unknown", Reject));
        Assert.Equal(2, lookups);
    }

    [Fact]
    public async Task ZeroLifetimeLooksUpEveryTime()
    {
        var cache = Create(new ManualTime(), TimeSpan.Zero);
        var lookups = 0;
        for (var i = 0; i < 3; i++)
        {
            await cache.GetOrLookUpAsync("user:alice", _ => Task.FromResult<Caller?>(Alice with { Role = (++lookups).ToString(System.Globalization.CultureInfo.InvariantCulture) }));
        }

        Assert.Equal(3, lookups);
    }

    [Fact]
    public async Task ForgettingAUserDropsTheirTokenAndKeysButNotOthers()
    {
        var cache = Create(new ManualTime(), TimeSpan.FromMinutes(1));
        var lookups = new Dictionary<string, int>();
        Func<CancellationToken, Task<Caller?>> Counting(string id, Caller caller) => _ =>
        {
            lookups[id] = lookups.GetValueOrDefault(id) + 1;
            return Task.FromResult<Caller?>(caller);
        };
        async Task TouchAllAsync()
        {
            await cache.GetOrLookUpAsync("user:alice", Counting("user:alice", Alice));
            await cache.GetOrLookUpAsync("key:alice", Counting("key:alice", AlicesKey));
            await cache.GetOrLookUpAsync("user:bob", Counting("user:bob", Bob));
        }

        await TouchAllAsync();
        cache.ForgetUser(Alice.UserId);
        await TouchAllAsync();
        Assert.Equal(2, lookups["user:alice"]);
        Assert.Equal(2, lookups["key:alice"]);
        Assert.Equal(1, lookups["user:bob"]);

        cache.ForgetApiKey(AlicesKey.ApiKeyId!.Value);
        await TouchAllAsync();
        Assert.Equal(2, lookups["user:alice"]);
        Assert.Equal(3, lookups["key:alice"]);
    }

    [Fact]
    public async Task ALookupThatWasUnderWayWhenTheUserWasForgottenIsNotRemembered()
    {
        var cache = Create(new ManualTime(), TimeSpan.FromMinutes(1));
        var readBeforeTheChange = new TaskCompletionSource<Caller?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = cache.GetOrLookUpAsync("user:alice", _ => readBeforeTheChange.Task);

        cache.ForgetUser(Alice.UserId); // the admin's change commits while the old row is on its way
        readBeforeTheChange.SetResult(Alice);
        Assert.Same(Alice, await pending.WaitAsync(TimeSpan.FromSeconds(10)));

        var lookups = 0;
        await cache.GetOrLookUpAsync("user:alice", _ =>
        {
            lookups++;
            return Task.FromResult<Caller?>(Alice with { Role = Roles.Reader });
        });
        Assert.Equal(1, lookups);
    }

    private static CallerCache Create(TimeProvider time, TimeSpan lifetime) =>
        new(Options.Create(new AuthOptions { CallerCacheLifetime = lifetime }), time);
}

/// <summary>Two API replicas on one database: what one is told, the other learns within the cache lifetime.</summary>
[Collection(SecurityCollection.Name)]
public sealed class CallerCacheReplicaTests(SecurityFixture fixture)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task AKeyRevokedOnOneReplicaStopsAtOnceThereAndWithinTheLifetimeOnTheOther()
    {
        var (first, second) = await StartReplicasAsync();
        await using var replicaA = first;
        await using var replicaB = second;

        using var admin = await replicaA.SignInAsAdminAsync();
        var userId = await ApiHost.CreateUserAsync(admin, "program", "program-password-1", Roles.Editor);
        using var created = await admin.PostAsJsonAsync("/api/v1/admin/api-keys", new { user_id = userId, name = "replicas" });
        var key = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        using var onA = replicaA.CreateClient(key.GetString("key"));
        using var onB = replicaB.CreateClient(key.GetString("key"));
        Assert.Equal(HttpStatusCode.OK, (await onA.GetAsync("/api/v1/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await onB.GetAsync("/api/v1/auth/me")).StatusCode); // B now remembers the key

        using (var revoke = await admin.DeleteAsync($"/api/v1/admin/api-keys/{key.GetGuid("id")}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await onA.GetAsync("/api/v1/auth/me")).StatusCode);

        // B was not told; its entry expires after the lifetime.
        await WithinLifetimeAsync(
            async () => (await onB.GetAsync("/api/v1/auth/me")).StatusCode == HttpStatusCode.Unauthorized,
            "Replica B still accepts the revoked key long after its cache lifetime.");
    }

    [Fact]
    public async Task AccessGrantedOrRevokedOnOneReplicaHoldsAtOnceThereAndWithinTheLifetimeOnTheOther()
    {
        var (first, second) = await StartReplicasAsync();
        await using var replicaA = first;
        await using var replicaB = second;

        using var admin = await replicaA.SignInAsAdminAsync();
        using (var form = new MultipartFormDataContent { { new StringContent("granted"), "collection" } })
        {
            form.Add(new ByteArrayContent("A note about grants."u8.ToArray()), "files", "note.txt");
            using var upload = await admin.PostAsync("/api/v1/documents", form);
            Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        }

        var readerId = await ApiHost.CreateUserAsync(admin, "grantee", "grantee-password-1", Roles.Reader);
        using var onA = await replicaA.SignInAsync("grantee", "grantee-password-1");
        using var onB = await replicaB.SignInAsync("grantee", "grantee-password-1");
        async Task<long> VisibleAsync(HttpClient client) =>
            (await client.GetFromJsonAsync<JsonObject>("/api/v1/documents?collection=granted"))!["total"]!.GetValue<long>();

        // Both replicas now remember that the reader may read nothing.
        Assert.Equal(0, await VisibleAsync(onA));
        Assert.Equal(0, await VisibleAsync(onB));

        using (var grant = await admin.PutAsJsonAsync("/api/v1/admin/collections/granted/access", new { principal_kind = "user", principal_id = readerId, permission = "read" }))
        {
            Assert.Equal(HttpStatusCode.NoContent, grant.StatusCode);
        }

        Assert.Equal(1, await VisibleAsync(onA));
        await WithinLifetimeAsync(async () => await VisibleAsync(onB) == 1, "Replica B still hides a granted collection long after its cache lifetime.");

        using (var revoke = await admin.DeleteAsync($"/api/v1/admin/collections/granted/access/user/{readerId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        }

        Assert.Equal(0, await VisibleAsync(onA));
        await WithinLifetimeAsync(async () => await VisibleAsync(onB) == 0, "Replica B still shows a revoked collection long after its cache lifetime.");
    }

    private async Task<(ApiHost A, ApiHost B)> StartReplicasAsync()
    {
        var database = await fixture.CreateDatabaseAsync();
        var settings = new Dictionary<string, string?>
        {
            ["RateLimits:PermitsPerWindow"] = "1000000",
            ["Auth:CallerCacheLifetime"] = Lifetime.ToString(),
        };
        return (fixture.CreateHost(database, settings), fixture.CreateHost(database, settings));
    }

    private static async Task WithinLifetimeAsync(Func<Task<bool>> holds, string failure)
    {
        // The bound of the wait is generous for a busy machine.
        var changedAt = DateTime.UtcNow;
        while (!await holds())
        {
            Assert.True(DateTime.UtcNow - changedAt < Lifetime + TimeSpan.FromSeconds(10), failure);
            await Task.Delay(100);
        }
    }
}

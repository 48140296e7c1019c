using Npgsql;
using Rag.Core.Identity;
using Rag.Tests.Infrastructure;

namespace Rag.Tests.Identity;

/// <summary>
/// Grants are remembered for a lifetime, but a change made through the same store takes effect at once. The clock
/// here moves only when a test says so, so nothing can pass by the remembered grants expiring.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CollectionAccessStoreTests(PostgresFixture postgres)
{
    private static readonly Caller Editor = new(Guid.NewGuid(), "editor", Roles.Editor, null);
    private static readonly Caller Reader = new(Guid.NewGuid(), "reader", Roles.Reader, null);

    [Fact]
    public async Task GrantsRevocationsAndNewCollectionsTakeEffectAtOnceThoughGrantsAreRemembered()
    {
        await using var dataSource = NpgsqlDataSource.Create(await postgres.CreateMigratedDatabaseAsync());
        var store = new CollectionAccessStore(dataSource, new ManualTime(), TimeSpan.FromHours(1));
        var manuals = (await store.GetWritableCollectionAsync(Editor, "manuals"))!.Value;
        Assert.Empty((await store.GetAllowedAsync(Reader, CollectionPermission.Read))!);

        await store.GrantAsync(manuals, "user", Reader.UserId, CollectionPermission.Read);
        Assert.Equal([manuals], await store.GetAllowedAsync(Reader, CollectionPermission.Read));

        // A collection the editor creates is theirs to write at once, beside the one they had.
        var notes = (await store.GetWritableCollectionAsync(Editor, "notes"))!.Value;
        Assert.Equal(new[] { manuals, notes }.Order(), (await store.GetAllowedAsync(Editor, CollectionPermission.Write))!.Order());

        Assert.True(await store.RevokeAsync(manuals, "user", Reader.UserId));
        Assert.Empty((await store.GetAllowedAsync(Reader, CollectionPermission.Read))!);
    }

    [Fact]
    public async Task AChangeMadeElsewhereIsSeenOnlyOnceTheLifetimeHasPassed()
    {
        var connectionString = await postgres.CreateMigratedDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var time = new ManualTime();
        var store = new CollectionAccessStore(dataSource, time, TimeSpan.FromSeconds(2));
        var manuals = (await store.GetWritableCollectionAsync(Editor, "manuals"))!.Value;
        Assert.Empty((await store.GetAllowedAsync(Reader, CollectionPermission.Read))!);

        // Another replica grants access: this one still answers from memory until the lifetime has passed.
        await new CollectionAccessStore(dataSource, time, TimeSpan.FromSeconds(2)).GrantAsync(manuals, "user", Reader.UserId, CollectionPermission.Read);
        Assert.Empty((await store.GetAllowedAsync(Reader, CollectionPermission.Read))!);

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([manuals], await store.GetAllowedAsync(Reader, CollectionPermission.Read));
    }
}

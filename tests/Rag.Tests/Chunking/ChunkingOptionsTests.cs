using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rag.Core.Chunking;

namespace Rag.Tests.Chunking;

public class ChunkingOptionsTests
{
    [Fact]
    public void DefaultsAreBoundFromTheChunkingSection()
    {
        using var services = BuildServices(new() { ["Chunking:MaxTokens"] = "256", ["Chunking:OverlapTokens"] = "32" });

        var options = services.GetRequiredService<IOptions<ChunkingOptions>>().Value;

        Assert.Equal(new ChunkingOptions { MaxTokens = 256, OverlapTokens = 32 }, options);
    }

    [Fact]
    public void AnOverlapOfHalfAChunkOrMoreIsRejected()
    {
        using var services = BuildServices(new() { ["Chunking:MaxTokens"] = "64", ["Chunking:OverlapTokens"] = "40" });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<ChunkingOptions>>().Value);
        Assert.Contains("OverlapTokens", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider BuildServices(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddChunkingDefaults();
        return services.BuildServiceProvider();
    }
}

using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Rag.Core.Extraction;
using Rag.Core.Extraction.Detection;

namespace Rag.Tests.Extraction;

public sealed class DocumentExtractionTests
{
    [Fact]
    public async Task AnEmptyFileIsRefusedClearlyByDetectionAndByExtraction()
    {
        Assert.Equal(DetectionOutcome.Empty, ContentTypeDetector.Detect("empty.txt", []).Outcome);

        var error = await Assert.ThrowsAsync<ExtractionException>(() => DocumentExtraction.ExtractAsync(ContentTypes.PlainText, ReadOnlyMemory<byte>.Empty, new ExtractionOptions()));

        Assert.Equal("The document is empty.", error.Message);
    }

    [Fact]
    public async Task DetectionThenExtractionFromAStreamGivesTheDocument()
    {
        var bytes = Encoding.UTF8.GetBytes("# Notes\n\nRemember the milk.");
        var detected = ContentTypeDetector.Detect("notes.md", bytes);

        var document = await DocumentExtraction.ExtractAsync(detected.ContentType!, new MemoryStream(bytes), new ExtractionOptions());

        Assert.Equal("Notes", document.Title);
        Assert.Equal(["Notes"], document.Blocks[1].HeadingPath);
    }

    [Fact]
    public async Task CancellationIsNotSwallowed()
    {
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            DocumentExtraction.ExtractAsync(ContentTypes.PlainText, new MemoryStream("text"u8.ToArray()), new ExtractionOptions(), cancellation.Token));
    }

    [Fact]
    public void OptionsBindFromTheExtractionSectionAndInvalidValuesFailValidation()
    {
        using var valid = Provider(new() { ["Extraction:MaxPages"] = "12", ["Extraction:CsvRowsPerBlock"] = "5" });
        var options = valid.GetRequiredService<IOptions<ExtractionOptions>>().Value;
        Assert.Equal(12, options.MaxPages);
        Assert.Equal(5, options.CsvRowsPerBlock);
        Assert.Equal(64, options.MaxJsonDepth);

        using var invalid = Provider(new() { ["Extraction:MaxPages"] = "0" });
        var error = Assert.Throws<OptionsValidationException>(() => invalid.GetRequiredService<IOptions<ExtractionOptions>>().Value);
        Assert.Contains("MaxPages", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddDocumentExtraction();
        return services.BuildServiceProvider();
    }
}

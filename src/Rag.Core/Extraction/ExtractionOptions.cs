using System.ComponentModel.DataAnnotations;

namespace Rag.Core.Extraction;

/// <summary>
/// Limits that keep extraction of hostile or huge documents bounded in time and memory.
/// </summary>
/// <remarks>
/// Configuration shape:
/// <code>
/// "Extraction": {
///   "MaxInputBytes": 104857600,
///   "MaxCharacters": 20000000,
///   "MaxPages": 5000,
///   "MaxDecompressedBytes": 268435456,
///   "MaxZipEntries": 10000,
///   "MaxCompressionRatio": 200,
///   "MaxJsonDepth": 64,
///   "CsvRowsPerBlock": 20
/// }
/// </code>
/// </remarks>
public sealed class ExtractionOptions
{
    /// <summary>Largest document accepted, in bytes, before any parsing.</summary>
    [Range(1, long.MaxValue)]
    public long MaxInputBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Most characters of text one document may yield.</summary>
    [Range(1, int.MaxValue)]
    public int MaxCharacters { get; set; } = 20_000_000;

    /// <summary>Most PDF pages read.</summary>
    [Range(1, int.MaxValue)]
    public int MaxPages { get; set; } = 5_000;

    /// <summary>Most bytes produced by decompression (PDF streams, DOCX parts), summed over the document.</summary>
    [Range(1, long.MaxValue)]
    public long MaxDecompressedBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Most entries a DOCX (ZIP) central directory may list.</summary>
    [Range(1, int.MaxValue)]
    public int MaxZipEntries { get; set; } = 10_000;

    /// <summary>Highest uncompressed-to-compressed size ratio accepted for a ZIP entry.</summary>
    [Range(1, int.MaxValue)]
    public int MaxCompressionRatio { get; set; } = 200;

    /// <summary>Deepest JSON nesting accepted.</summary>
    [Range(1, 10_000)]
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>CSV rows grouped into one block, so rows stay searchable and chunks stay small.</summary>
    [Range(1, 10_000)]
    public int CsvRowsPerBlock { get; set; } = 20;
}

using System.ComponentModel.DataAnnotations;

namespace Rag.Api.Documents;

// "Uploads": {
//   "MaxFileBytes": 52428800,
//   "MaxFilesPerRequest": 100,
//   "MaxRequestBytes": 1073741824
// }
public sealed class UploadOptions
{
    public const string SectionName = "Uploads";

    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 50L * 1024 * 1024;

    [Range(1, 10_000)]
    public int MaxFilesPerRequest { get; set; } = 100;

    [Range(1, long.MaxValue)]
    public long MaxRequestBytes { get; set; } = 1024L * 1024 * 1024;
}

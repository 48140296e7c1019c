using System.IO.Compression;

namespace Rag.Tests.Extraction;

/// <summary>
/// Real-world documents that Debian packages install. A missing file fails the test with the package to
/// install, rather than skipping it.
/// </summary>
internal static class InstalledFiles
{
    public const string PostgresDocsDirectory = "/usr/share/doc/postgresql-doc-15/html";
    public const string LibtasnManual = "/usr/share/doc/libtasn1-doc/libtasn1.pdf";
    public const string GraphvizDotManual = "/usr/share/doc/graphviz/pdf/dot.1.pdf.gz";

    public static byte[] Read(string path, string aptPackage)
    {
        Assert.True(File.Exists(path), $"{path} is missing: install the Debian package '{aptPackage}' (apt-get install {aptPackage}).");
        var bytes = File.ReadAllBytes(path);
        if (!path.EndsWith(".gz", StringComparison.Ordinal))
        {
            return bytes;
        }

        using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    public static string[] PostgresHtmlPages()
    {
        Assert.True(Directory.Exists(PostgresDocsDirectory), $"{PostgresDocsDirectory} is missing: install the Debian package 'postgresql-doc-15'.");
        var pages = Directory.GetFiles(PostgresDocsDirectory, "*.html");
        Assert.True(pages.Length > 1000, $"Expected the ~1,170 pages of postgresql-doc-15 in {PostgresDocsDirectory}, found {pages.Length}.");
        return pages;
    }
}

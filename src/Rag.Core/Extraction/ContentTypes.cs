namespace Rag.Core.Extraction;

/// <summary>The MIME types of the document formats we extract.</summary>
public static class ContentTypes
{
    public const string PlainText = "text/plain";
    public const string Markdown = "text/markdown";
    public const string Html = "text/html";
    public const string Pdf = "application/pdf";
    public const string Docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    public const string Csv = "text/csv";
    public const string Json = "application/json";

    public static IReadOnlyList<string> Supported { get; } = [PlainText, Markdown, Html, Pdf, Docx, Csv, Json];
}

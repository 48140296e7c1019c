using Rag.Tests.Contracts;

namespace Rag.Tests.Deployment;

// The deployment artifacts live at the repository root, which the tests find from their output folder.
internal static class RepositoryFiles
{
    public static string Root { get; } = SpecFiles.RepositoryRoot();

    public static string PathOf(string relativePath) =>
        Path.GetFullPath(Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar)));

    public static string ReadAllText(string relativePath)
    {
        var path = PathOf(relativePath);
        Assert.True(File.Exists(path), $"Expected {relativePath} at the repository root ({Root}).");
        return File.ReadAllText(path);
    }
}

namespace Rag.Tests.Deployment;

// The deployment artifacts live at the repository root, which the tests find from their output folder.
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relativePath) =>
        Path.GetFullPath(Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar)));

    public static string ReadAllText(string relativePath)
    {
        var path = PathOf(relativePath);
        Assert.True(File.Exists(path), $"Expected {relativePath} at the repository root ({Root}).");
        return File.ReadAllText(path);
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Rag.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Rag.sln above {AppContext.BaseDirectory}; run the tests from a checkout of the repository.");
    }
}

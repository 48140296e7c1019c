using System.Reflection;

namespace Rag.LocalHost.Processes;

/// <summary>Finds the services' built assemblies, built alongside this launcher with the same configuration.</summary>
public static class ServiceBinaries
{
    public static string AssemblyPath(string projectName)
    {
        var metadata = typeof(ServiceBinaries).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .ToDictionary(a => a.Key, a => a.Value);
        var path = Path.Combine(
            metadata["Rag.SourceRoot"]!, projectName, "bin", metadata["Rag.Configuration"]!, metadata["Rag.TargetFramework"]!, projectName + ".dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{projectName} is not built at {path}. Build the solution first (dotnet build Rag.WithoutAspire.slnf).", path);
    }
}

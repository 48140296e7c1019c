using Microsoft.AspNetCore.Components;
using Rag.Web.Api;
using Rag.Web.Auth;

namespace Rag.Web.Components.Shared;

/// <summary>How pages call the API: an expired sign-in goes back to the sign-in page, any other failure becomes a message.</summary>
internal static class ApiCall
{
    /// <returns>The result, or default with <paramref name="error"/> set to words a person understands.</returns>
    public static async Task<(T? Result, string? Error)> TryAsync<T>(NavigationManager navigation, Func<Task<T>> call)
    {
        ArgumentNullException.ThrowIfNull(navigation);
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return (await call(), null);
        }
        catch (ApiProblemException problem) when (problem.IsUnauthorized)
        {
            navigation.NavigateTo(WebAuthentication.SignInUrl("/" + navigation.ToBaseRelativePath(navigation.Uri)));
            return (default, problem.Title);
        }
        catch (ApiProblemException problem)
        {
            return (default, problem.Detail is null ? problem.Title : $"{problem.Title}. {problem.Detail}");
        }
        catch (Exception error) when (error is HttpRequestException or Polly.ExecutionRejectedException)
        {
            return (default, ServiceMessages.Unavailable);
        }
    }
}

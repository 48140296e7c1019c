using Microsoft.Extensions.Options;
using Rag.Core.Identity;
using Rag.Core.Storage;

namespace Rag.Api.Auth;

/// <summary>Creates the configured admin once the schema is in place, if no user of that name exists.</summary>
public sealed partial class BootstrapAdminService(
    IOptions<AuthOptions> options, IDatabaseMigrationStatus migrations, UserStore users, ILogger<BootstrapAdminService> logger) : BackgroundService
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once the admin exists (or none is configured), so a sign-in right after start does not race it.</summary>
    public Task WaitUntilDoneAsync(CancellationToken cancellationToken = default) => _done.Task.WaitAsync(cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (options.Value.BootstrapAdminPassword is { Length: > 0 } password)
            {
                await migrations.WaitUntilAppliedAsync(stoppingToken);
                if (await users.EnsureAdminAsync(options.Value.BootstrapAdminUserName, password, stoppingToken))
                {
                    Log.Created(logger, options.Value.BootstrapAdminUserName);
                }
            }
        }
        finally
        {
            // Sign-ins proceed either way; a failure here surfaces in the host's log and as a rejected admin sign-in.
            _done.TrySetResult();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Created the bootstrap admin '{UserName}'")]
        public static partial void Created(ILogger logger, string userName);
    }
}

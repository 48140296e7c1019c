using Rag.Web.Api;
using Rag.Web.AppApi;
using Rag.Web.Auth;
using Rag.Web.Components;
using Rag.Web.Security;

// The pages are Razor components rendered on the server (static SSR): Blazor's own scripts cannot be restored here,
// so there is no interactive circuit. Forms post back to the server and work without JavaScript; streaming answers,
// upload progress and live job status are progressive enhancement by small ES modules in wwwroot/js, which talk only
// to this app's /app-api endpoints. The API token stays in the encrypted auth cookie (backend-for-frontend).
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRagApiClient();
builder.AddWebAuthentication();
builder.Services.AddRazorComponents();

var app = builder.Build();

if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/error", createScopeForErrors: true);
    app.UseHsts();
}

app.UseSecurityHeaders();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>();
app.MapAppApi();
app.MapSignOut();
app.MapDefaultEndpoints();

app.Run();

using Microsoft.Extensions.DependencyInjection;
using Rag.Core.Conversations;
using Rag.Core.Generation;

namespace Microsoft.Extensions.Hosting;

public static class GenerationExtensions
{
    /// <summary>
    /// Grounded answers and conversations, over the models (<c>AddRagModels</c>), retrieval (<c>AddVectorSearch</c>),
    /// index events (<c>AddDocumentIngestion</c>), the database and Redis.
    /// </summary>
    public static TBuilder AddRagAnswers<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<AnswerOptions>().BindConfiguration(AnswerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ConversationStore>();
        builder.Services.AddSingleton<QuestionCondenser>();
        builder.Services.AddSingleton<AnswerCache>();
        builder.Services.AddSingleton<AnswerService>();
        return builder;
    }
}

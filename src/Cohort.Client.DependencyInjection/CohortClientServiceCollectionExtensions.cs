using Cohort.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Cohort client (<see cref="ICohortClient"/>) in a service collection.</summary>
public static class CohortClientServiceCollectionExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the client sends with (<see cref="IHttpClientFactory"/>).</summary>
    public const string HttpClientName = "Cohort";

    /// <summary>
    /// Registers one shared <see cref="CohortClient"/> (also as <see cref="ICohortClient"/>), configured by
    /// <paramref name="configure"/>. Its options are checked when the host starts (<c>ValidateOnStart</c>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the addresses, the token and the rest of <see cref="CohortClientOptions"/>.</param>
    /// <returns>The builder of the client's <see cref="HttpClient"/>, to add handlers or change its primary handler.</returns>
    /// <example><code>builder.Services.AddCohortClient(o => o.Addresses = ["10.0.0.1:7001", "10.0.0.2:7001"]);</code></example>
    public static IHttpClientBuilder AddCohortClient(this IServiceCollection services, Action<CohortClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<CohortClientOptions>().Configure(configure);
        return AddCore(services);
    }

    /// <summary>
    /// Registers one shared <see cref="CohortClient"/> (also as <see cref="ICohortClient"/>) with options bound from
    /// <paramref name="configuration"/> (a section such as <c>"Cohort"</c> of <c>appsettings.json</c>: <c>Addresses</c>,
    /// <c>AuthToken</c>, <c>RequestTimeout</c>, …), checked when the host starts.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration section to bind.</param>
    /// <param name="configure">Further settings applied after the binding, or null.</param>
    /// <returns>The builder of the client's <see cref="HttpClient"/>.</returns>
    /// <example><code>builder.Services.AddCohortClient(builder.Configuration.GetSection("Cohort"));</code></example>
    public static IHttpClientBuilder AddCohortClient(this IServiceCollection services, IConfiguration configuration, Action<CohortClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = services.AddOptions<CohortClientOptions>().Bind(configuration);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return AddCore(services);
    }

    private static IHttpClientBuilder AddCore(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<CohortClientOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CohortClientOptions>, CohortClientOptionsValidator>());

        // One client for the application: it keeps what it learnt (the leader, the node that answered) across calls, and
        // takes a fresh HttpClient from the factory for each request, so the factory's pooled handlers rotate as usual.
        services.TryAddSingleton(static provider =>
        {
            var options = provider.GetRequiredService<IOptions<CohortClientOptions>>().Value;
            var factory = provider.GetRequiredService<IHttpClientFactory>();
            return new CohortClient(options, () => factory.CreateClient(HttpClientName), provider.GetService<ILogger<CohortClient>>());
        });
        services.TryAddSingleton<ICohortClient>(static provider => provider.GetRequiredService<CohortClient>());
        return services.AddHttpClient(HttpClientName)
            .ConfigureHttpClient(static (provider, http) => http.Timeout = provider.GetRequiredService<IOptions<CohortClientOptions>>().Value.RequestTimeout)
            .ConfigurePrimaryHttpMessageHandler(static provider => CohortClient.CreateHttpHandler(provider.GetRequiredService<IOptions<CohortClientOptions>>().Value));
    }

    // Runs CohortClientOptions.Validate, so bad settings stop the host at start with the option named.
    private sealed class CohortClientOptionsValidator : IValidateOptions<CohortClientOptions>
    {
        public ValidateOptionsResult Validate(string? name, CohortClientOptions options)
        {
            try
            {
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException e)
            {
                return ValidateOptionsResult.Fail($"Cohort client options: {e.Message}");
            }
        }
    }
}

using Microsoft.Playwright;

namespace Cohort.IntegrationTests.Dashboard;

/// <summary>
/// Debian's chromium (<c>/usr/bin/chromium</c>) driven by Playwright, headless, with a fresh profile in a temp directory
/// that is deleted on disposal. No browser is downloaded (<c>playwright install</c> is never run): the package's driver
/// talks to the installed binary. Screenshots go to <see cref="ScreenshotDirectory"/>.
/// </summary>
internal sealed class Browser : IAsyncDisposable
{
    /// <summary>Where Debian installs chromium (.ci/run installs it when missing).</summary>
    public const string Executable = "/usr/bin/chromium";

    /// <summary>The bound on every wait for the page (a loaded 2-core machine; the page polls every 2 s).</summary>
    public const float Timeout = 30_000;

    private readonly IPlaywright _playwright;
    private readonly string _profile;
    private int _shots;

    private Browser(IPlaywright playwright, IBrowserContext context, IPage page, string profile, string screenshots)
    {
        _playwright = playwright;
        Context = context;
        Page = page;
        _profile = profile;
        ScreenshotDirectory = screenshots;
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    /// <summary>This test's screenshots: <c>$COHORT_TEST_RESULTS/screenshots/&lt;test&gt;</c>, else <c>artifacts/screenshots/&lt;test&gt;</c> at the repository root.</summary>
    public string ScreenshotDirectory { get; }

    /// <summary>Starts the browser with an empty page.</summary>
    public static async Task<Browser> StartAsync(string test)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does).");
        }

        var profile = Path.Combine(Path.GetTempPath(), "cohort-chromium-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(profile);
        var screenshots = Path.Combine(ResultsRoot(), "screenshots", test);
        Directory.CreateDirectory(screenshots);
        var playwright = await Playwright.CreateAsync();
        try
        {
            var context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = Executable,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
                ViewportSize = new ViewportSize { Width = 1440, Height = 900 },
                Timeout = Timeout * 2,
            });
            context.SetDefaultTimeout(Timeout);
            var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync();
            return new Browser(playwright, context, page, profile, screenshots);
        }
        catch
        {
            playwright.Dispose();
            Directory.Delete(profile, recursive: true);
            throw;
        }
    }

    /// <summary>Saves a full-page screenshot named after the step, numbered in order; returns its path.</summary>
    public async Task<string> ScreenshotAsync(string step)
    {
        var path = Path.Combine(ScreenshotDirectory, $"{++_shots:00}-{step}.png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Context.CloseAsync();
        }
        finally
        {
            _playwright.Dispose();
            try
            {
                Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
                // A crash report chromium is still writing: the temp directory is cleaned later.
            }
        }
    }

    // COHORT_TEST_RESULTS (scripts/test.sh exports it, absolute), else artifacts/ at the repository root.
    private static string ResultsRoot()
    {
        if (Environment.GetEnvironmentVariable("COHORT_TEST_RESULTS") is { Length: > 0 } results)
        {
            return Path.GetFullPath(results);
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cohort.slnx")))
            {
                return Path.Combine(dir.FullName, "artifacts");
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "artifacts");
    }
}

using Cohort.Core;
using Cohort.Protocol;
using Spectre.Console;

namespace Cohort.Cli;

/// <summary>
/// How a command answers: tables and sentences for people, one JSON document on stdout with <c>--json</c>. Errors go to
/// stderr as <c>cohort &lt;command&gt;: &lt;message&gt;</c> (and, with <c>--json</c>, also as a JSON object on stdout), and
/// each kind of failure has its own exit code (<see cref="ExitCodes"/>).
/// </summary>
internal sealed class CliOutput(string command, bool json)
{
    public bool IsJson => json;

    /// <summary>Writes <paramref name="value"/> as JSON, or what <paramref name="human"/> says.</summary>
    public void Result(Value value, Func<string> human)
    {
        if (json)
        {
            System.Console.Out.WriteLine(ValueJson.Serialize(value));
        }
        else
        {
            System.Console.Out.WriteLine(human());
        }
    }

    /// <summary>Writes <paramref name="value"/> as JSON, or renders <paramref name="human"/> with Spectre.Console.</summary>
    public void Render(Value value, Func<Spectre.Console.Rendering.IRenderable> human)
    {
        if (json)
        {
            System.Console.Out.WriteLine(ValueJson.Serialize(value));
        }
        else
        {
            Ansi().Write(human());
        }
    }

    public int BadInput(string message) => Fail(ExitCodes.BadInput, "bad_input", message);

    public int Unreachable(string message) => Fail(ExitCodes.Unreachable, "unreachable", message);

    public int Problem(CliAnswer answer) => answer.Unreachable is { } why
        ? Unreachable(why)
        : Fail(answer.Code is ErrorCodes.BadJson or ErrorCodes.BadOperation or ErrorCodes.UnknownOperation or ErrorCodes.SqlSyntax ? ExitCodes.BadInput : ExitCodes.Failed, answer.Code, answer.Detail);

    public int Fail(int exitCode, string code, string message)
    {
        System.Console.Error.WriteLine($"cohort {command}: {message}");
        if (json)
        {
            System.Console.Out.WriteLine(ValueJson.Serialize(Value.Map(("error", Value.Map(("code", code), ("detail", message))))));
        }

        return exitCode;
    }

    /// <summary>The width of a console whose output is not a terminal and <c>COLUMNS</c> is unset: wide enough never to wrap a table.</summary>
    public const int UnboundedWidth = 4096;

    /// <summary>
    /// A Spectre console on stdout, as wide as <see cref="Width"/>: tables fit a terminal, and output that is not a
    /// terminal is neither coloured nor wrapped (an address or a value stays on one line).
    /// </summary>
    public static IAnsiConsole Ansi() => Shared.Value;

    /// <summary>
    /// How wide tables may be: <c>$COLUMNS</c> when it is a positive whole number, else the terminal's width, else (the
    /// output is redirected) <see cref="UnboundedWidth"/>.
    /// </summary>
    public static int Width(string? columns, bool redirected, Func<int> terminalWidth)
    {
        if (int.TryParse(columns, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var given) && given > 0)
        {
            return Math.Min(given, UnboundedWidth);
        }

        if (redirected)
        {
            return UnboundedWidth;
        }

        try
        {
            return terminalWidth() is > 0 and var width ? width : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }

    private static readonly Lazy<IAnsiConsole> Shared = new(() =>
    {
        var redirected = System.Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(System.Console.Out),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        console.Profile.Width = Width(Environment.GetEnvironmentVariable("COLUMNS"), redirected, () => System.Console.WindowWidth);
        return console;
    });
}

using Cohort.Client;
using Cohort.Core;

namespace Cohort.Cli;

/// <summary>Runs a client command body and maps every failure to a clear message and its exit code.</summary>
internal static class CliRun
{
    public static CohortClient Client(string? nodes, string? token, string? tlsCa = null)
    {
        var addresses = CliOptions.SplitAddresses(nodes);
        return new CohortClient(new CohortClientOptions
        {
            // A CA means a TLS cluster: bare host:port addresses are https.
            Addresses = [.. (addresses.Length == 0 ? [CliOptions.DefaultAddress] : addresses).Select(a => CliHttp.Secure(a, tlsCa is not null))],
            CaCertificatePath = tlsCa,
            AuthToken = CliOptions.Token(token),
            MaxAttempts = 3,
            RequestTimeout = TimeSpan.FromSeconds(60),
        });
    }

    public static async Task<int> GuardAsync(CliOutput output, Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (CohortInDoubtException e)
        {
            return output.Fail(ExitCodes.InDoubt, e.Code, $"{e.Message} (look it up later: cohort tx show {e.TxId})");
        }
        catch (CohortAbortedException e)
        {
            return output.Fail(ExitCodes.Failed, e.Code, e.Message);
        }
        catch (CohortClientException e) when (e.StatusCode is null && e.Code == ErrorCodes.Unavailable)
        {
            return output.Unreachable(e.Message);
        }
        catch (CohortException e) when (e.Code is ErrorCodes.BadJson or ErrorCodes.BadOperation or ErrorCodes.UnknownOperation or ErrorCodes.SqlSyntax or ErrorCodes.UnknownResource)
        {
            return output.Fail(ExitCodes.BadInput, e.Code, e.Message);
        }
        catch (CohortException e)
        {
            return output.Fail(ExitCodes.Failed, e.Code, e.Message);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            return output.BadInput(e is ArgumentException { ParamName: { } p } ? e.Message.Replace($" (Parameter '{p}')", string.Empty, StringComparison.Ordinal) : e.Message);
        }
    }

    /// <summary>A command-line value: JSON when it parses as JSON, else the text as a string.</summary>
    public static Value ParseValue(string text)
    {
        try
        {
            return ValueJson.Parse(text);
        }
        catch (CohortException)
        {
            return text;
        }
    }

    /// <summary>A value for people: strings bare, everything else as JSON.</summary>
    public static string Show(Value value) => value.Kind switch
    {
        ValueKind.Null => "(null)",
        ValueKind.String => value.AsString(),
        _ => ValueJson.Serialize(value),
    };
}

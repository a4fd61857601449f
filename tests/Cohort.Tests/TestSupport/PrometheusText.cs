using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Cohort.Tests.TestSupport;

/// <summary>
/// A strict reader of the Prometheus text exposition format (0.0.4), for tests of <c>/metrics</c>: it fails (with xunit
/// assertions) on anything the format forbids or that scrapers trip over, and returns the families read. Shared by the
/// unit tests and the integration tests (linked into both).
/// </summary>
internal static partial class PrometheusText
{
    private static readonly HashSet<string> Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    /// <summary>Checks <paramref name="text"/> against the format's rules and returns its families by name, in order.</summary>
    /// <remarks>
    /// Every sample's family has exactly one HELP and one TYPE line before its samples; names match
    /// <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>; label names <c>[a-zA-Z_][a-zA-Z0-9_]*</c>; label values are quoted with only
    /// <c>\\</c>, <c>\"</c> and <c>\n</c> escaped; no family appears twice (its lines are together) and no sample twice;
    /// counters end in <c>_total</c> and are not negative; each histogram series has <c>_bucket</c> lines with
    /// increasing <c>le</c> ending in <c>+Inf</c>, non-decreasing counts, <c>+Inf</c> equal to <c>_count</c>, and a <c>_sum</c>.
    /// </remarks>
    public static IReadOnlyDictionary<string, MetricFamily> Validate(string text)
    {
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var families = new Dictionary<string, MetricFamily>(StringComparer.Ordinal);
        var samples = new HashSet<string>(StringComparer.Ordinal);
        MetricFamily? current = null;
        var lines = text[..^1].Split('\n');
        for (var number = 1; number <= lines.Length; number++)
        {
            var line = lines[number - 1];
            var where = $"line {number}: {line}";
            Assert.False(string.IsNullOrWhiteSpace(line), $"{where}: blank line");
            if (line.StartsWith('#'))
            {
                var parts = line.Split(' ', 4);
                if (parts.Length < 3 || parts[0] != "#" || parts[1] is not ("HELP" or "TYPE"))
                {
                    continue; // a plain comment
                }

                var name = parts[2];
                Assert.True(MetricName().IsMatch(name), $"{where}: bad metric name");
                if (current?.Name != name)
                {
                    Assert.False(families.ContainsKey(name), $"{where}: family {name} appears twice");
                    current = new MetricFamily(name);
                    families.Add(name, current);
                }

                Assert.Empty(current.Samples);
                if (parts[1] == "HELP")
                {
                    Assert.True(current.Help is null, $"{where}: a second HELP");
                    current.Help = parts.Length == 4 ? parts[3] : string.Empty;
                    Assert.True(ValidHelp(current.Help), $"{where}: a backslash in HELP escapes neither \\ nor n");
                }
                else
                {
                    Assert.True(current.Type is null, $"{where}: a second TYPE");
                    Assert.True(parts.Length == 4 && Types.Contains(parts[3]), $"{where}: unknown type");
                    current.Type = parts[3];
                }

                continue;
            }

            var sample = ParseSample(line, where);
            Assert.True(current is not null, $"{where}: a sample before any HELP or TYPE");
            Assert.True(current.Name == FamilyOf(sample.Name, current), $"{where}: the sample does not belong to the family its HELP and TYPE opened ({current.Name})");
            Assert.True(current.Help is not null, $"{where}: no HELP before the family's samples");
            Assert.True(current.Type is not null, $"{where}: no TYPE before the family's samples");
            Assert.True(samples.Add(sample.Name + "{" + SeriesKey(sample.Labels, except: null) + "}"), $"{where}: the sample appears twice");
            current.Samples.Add(sample);
        }

        foreach (var family in families.Values)
        {
            Assert.True(family.Help is not null && family.Type is not null, $"{family.Name}: HELP and TYPE both needed");
            if (family.Type == "counter")
            {
                Assert.EndsWith("_total", family.Name, StringComparison.Ordinal);
                Assert.All(family.Samples, s => Assert.True(s.Value >= 0, $"{family.Name}: negative counter"));
            }
            else if (family.Type == "histogram")
            {
                CheckHistogram(family);
            }
        }

        return families;
    }

    /// <summary>The value of the sample <paramref name="name"/> with exactly <paramref name="labels"/>, or null when there is none.</summary>
    public static double? Value(IReadOnlyDictionary<string, MetricFamily> families, string name, params (string Name, string Value)[] labels)
    {
        ArgumentNullException.ThrowIfNull(families);
        return families.Values
            .SelectMany(f => f.Samples)
            .Where(s => s.Name == name && s.Labels.Count == labels.Length && labels.All(l => s.Labels.GetValueOrDefault(l.Name) == l.Value))
            .Select(s => (double?)s.Value)
            .FirstOrDefault();
    }

    private static void CheckHistogram(MetricFamily family)
    {
        var series = family.Samples
            .GroupBy(s => SeriesKey(s.Labels, except: "le"), StringComparer.Ordinal);
        foreach (var one in series)
        {
            var where = $"{family.Name}{{{one.Key}}}";
            var buckets = one.Where(s => s.Name == family.Name + "_bucket").ToList();
            Assert.True(buckets.Count > 0, $"{where}: no _bucket lines");
            Assert.All(buckets, b => Assert.True(b.Labels.ContainsKey("le"), $"{where}: a bucket without le"));
            var bounds = buckets.Select(b => ParseValue(b.Labels["le"], where)).ToList();
            Assert.True(double.IsPositiveInfinity(bounds[^1]), $"{where}: the last bucket is not +Inf");
            Assert.Equal("+Inf", buckets[^1].Labels["le"]);
            for (var i = 1; i < buckets.Count; i++)
            {
                Assert.True(bounds[i] > bounds[i - 1], $"{where}: le {bounds[i]} after {bounds[i - 1]}");
                Assert.True(buckets[i].Value >= buckets[i - 1].Value, $"{where}: bucket count {buckets[i].Value} below {buckets[i - 1].Value}");
            }

            var count = one.SingleOrDefault(s => s.Name == family.Name + "_count");
            Assert.True(count is not null, $"{where}: no _count");
            Assert.True(count.Value == buckets[^1].Value, $"{where}: +Inf bucket {buckets[^1].Value} but _count {count.Value}");
            Assert.True(one.Count(s => s.Name == family.Name + "_sum") == 1, $"{where}: no _sum");
        }
    }

    // The labels but one, in name order: what tells a series (or a sample) from another.
    private static string SeriesKey(IReadOnlyDictionary<string, string> labels, string? except) =>
        string.Join(",", labels.Where(l => l.Key != except).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));

    // A histogram's samples are its name with _bucket, _sum or _count; any other family's, its name.
    private static string FamilyOf(string sample, MetricFamily current) =>
        current.Type == "histogram" && (sample == current.Name + "_bucket" || sample == current.Name + "_sum" || sample == current.Name + "_count")
            ? current.Name
            : sample;

    private static Sample ParseSample(string line, string where)
    {
        var nameEnd = 0;
        while (nameEnd < line.Length && line[nameEnd] is not ('{' or ' '))
        {
            nameEnd++;
        }

        var name = line[..nameEnd];
        Assert.True(MetricName().IsMatch(name), $"{where}: bad metric name");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var at = nameEnd;
        if (at < line.Length && line[at] == '{')
        {
            at++;
            while (line[at] != '}')
            {
                var eq = line.IndexOf('=', at);
                Assert.True(eq > at, $"{where}: a label without =");
                var label = line[at..eq];
                Assert.True(LabelName().IsMatch(label) && !label.StartsWith("__", StringComparison.Ordinal), $"{where}: bad label name {label}");
                Assert.True(eq + 1 < line.Length && line[eq + 1] == '"', $"{where}: label {label} not quoted");
                at = eq + 2;
                var value = new StringBuilder();
                while (true)
                {
                    Assert.True(at < line.Length, $"{where}: label {label} not closed");
                    var c = line[at++];
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\')
                    {
                        Assert.True(at < line.Length, $"{where}: a backslash ends the line");
                        var escaped = line[at++];
                        value.Append(escaped switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new Xunit.Sdk.XunitException($"{where}: \\{escaped} is not an escape of the format"),
                        });
                        continue;
                    }

                    value.Append(c);
                }

                Assert.True(labels.TryAdd(label, value.ToString()), $"{where}: label {label} twice");
                Assert.True(at < line.Length && line[at] is ',' or '}', $"{where}: after label {label}");
                if (line[at] == ',')
                {
                    at++;
                }
            }

            at++;
        }

        Assert.True(at < line.Length && line[at] == ' ', $"{where}: no space before the value");
        var rest = line[(at + 1)..].Split(' ');
        Assert.True(rest.Length is 1 or 2, $"{where}: more than a value and a timestamp");
        return new Sample(name, labels, ParseValue(rest[0], where));
    }

    private static double ParseValue(string text, string where) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : throw new Xunit.Sdk.XunitException($"{where}: {text} is not a number"),
    };

    private static bool ValidHelp(string help)
    {
        for (var i = 0; i < help.Length; i++)
        {
            if (help[i] == '\\' && (i + 1 == help.Length || help[++i] is not ('\\' or 'n')))
            {
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    /// <summary>One sample: its name, labels (unescaped) and value.</summary>
    internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    /// <summary>One family: its name, HELP text, TYPE and samples, as read.</summary>
    internal sealed class MetricFamily(string name)
    {
        public string Name { get; } = name;

        public string? Help { get; set; }

        public string? Type { get; set; }

        public List<Sample> Samples { get; } = [];
    }
}

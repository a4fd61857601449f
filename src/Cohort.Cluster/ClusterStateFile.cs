using System.Text.Json;
using Cohort.Storage;

namespace Cohort.Cluster;

/// <summary>
/// The part of a node's cluster state that outlives a restart, in <c>cluster.json</c> of its data directory: the
/// membership list with its version, and the newest epoch seen (so epochs keep rising across restarts).
/// </summary>
internal sealed record ClusterStateFile(long MembersVersion, IReadOnlyList<string> Members, long Epoch)
{
    public const string FileName = "cluster.json";

    public static ClusterStateFile? Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            var members = root.GetProperty("members").EnumerateArray().Select(e => e.GetString() ?? throw new FormatException("null member")).ToList();
            return new ClusterStateFile(root.GetProperty("members_version").GetInt64(), members, root.GetProperty("epoch").GetInt64());
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path} is not a valid cluster state file ({e.Message}); fix or delete it (the node then rejoins through --nodes).", e);
        }
    }

    public void Save(string directory, bool fsync)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("members_version", MembersVersion);
            writer.WriteStartArray("members");
            foreach (var member in Members)
            {
                writer.WriteStringValue(member);
            }

            writer.WriteEndArray();
            writer.WriteNumber("epoch", Epoch);
            writer.WriteEndObject();
        }

        DurableFile.Replace(Path.Combine(directory, FileName), buffer.ToArray(), fsync);
    }
}

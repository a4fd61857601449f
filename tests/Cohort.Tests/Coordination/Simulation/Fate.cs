namespace Cohort.Tests.Coordination.Simulation;

/// <summary>What the simulated network does to one message: a pure function of the seed and the message's identity.</summary>
internal readonly record struct Fate(bool DropRequest, bool DropReply, bool Duplicate, int DelayMs, int DuplicateDelayMs)
{
    public static Fate Of(int seed, double faultRate, string kind, int txOrdinal, string resource, int attempt)
    {
        var hash = Mix((ulong)(uint)seed);
        hash = Mix(hash ^ Fnv(kind));
        hash = Mix(hash ^ (ulong)(uint)txOrdinal);
        hash = Mix(hash ^ Fnv(resource));
        hash = Mix(hash ^ (ulong)(uint)attempt);
        var random = new Random((int)(hash ^ (hash >> 32)));
        return new Fate(
            DropRequest: random.NextDouble() < faultRate,
            DropReply: random.NextDouble() < faultRate,
            Duplicate: random.NextDouble() < faultRate,
            DelayMs: random.Next(0, 4),
            DuplicateDelayMs: random.Next(0, 10));
    }

    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Fnv(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }
}

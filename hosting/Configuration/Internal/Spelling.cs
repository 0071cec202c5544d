namespace Vmm.Hosting.Configuration.Internal;

/// <summary>"Did you mean": the known word nearest a misspelt one, when it is near enough to be the likely intent.</summary>
internal static class Spelling
{
    public static string? Closest(string word, IEnumerable<string> known)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        // One edit in three characters, and at least two: "libvirt-url" -> "libvirt-uri", "listn" -> "listen",
        // but "port" is not "host".
        int limit = Math.Max(2, word.Length / 3);
        foreach (var candidate in known)
        {
            int d = Distance(word, candidate);
            // A word that is the start of exactly the intended key ("heartbeat" for "heartbeat-interval") counts as close.
            if (d > limit && word.Length >= 4 && candidate.StartsWith(word, StringComparison.Ordinal)) d = limit;
            if (d <= limit && (d < bestDistance || (d == bestDistance && string.CompareOrdinal(candidate, best) < 0)))
            {
                best = candidate;
                bestDistance = d;
            }
        }
        return best;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        }
        return d[a.Length, b.Length];
    }
}

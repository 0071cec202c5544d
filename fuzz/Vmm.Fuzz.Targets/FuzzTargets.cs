namespace Vmm.Fuzz.Targets;

/// <summary>
/// The fuzz targets, one for each way bytes reach the codec: <see cref="Stream"/> (TCP and the admin socket),
/// <see cref="Datagram"/> (UDP, as the controller receives it), <see cref="Text"/> (the text form vmmctl reads)
/// and <see cref="Admin"/> (PDU bodies behind a ready-made header). A crash is any exception other than the
/// codec's own error for bad input, or a <see cref="FuzzInvariantException"/> from an oracle.
/// </summary>
public static partial class FuzzTargets
{
    /// <summary>Every target by name, as fuzz/run.sh and fuzz/corpus/ name them.</summary>
    public static IReadOnlyDictionary<string, FuzzTarget> All { get; } = new Dictionary<string, FuzzTarget>(StringComparer.Ordinal)
    {
        ["stream"] = Stream,
        ["datagram"] = Datagram,
        ["text"] = Text,
        ["admin"] = Admin,
    };
}

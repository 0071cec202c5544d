namespace Vmm.Fuzz.Targets;

/// <summary>
/// One fuzz target: runs one input through a decoder entry point and its oracle. It returns when the input was
/// handled as the codec promises (decoded and round-tripped, or refused with the codec's own error); it throws
/// anything else, which afl-fuzz records as a crash.
/// </summary>
public delegate void FuzzTarget(ReadOnlySpan<byte> input);

/// <summary>An oracle found the codec breaking one of its promises on an input it did not refuse.</summary>
public sealed class FuzzInvariantException : Exception
{
    /// <summary>Creates the exception; <paramref name="inner"/> is the unexpected error, when there was one.</summary>
    public FuzzInvariantException(string message, Exception? inner = null) : base(message, inner) { }
}

namespace Vmm.Benchmarks.RoundTrip;

/// <summary>The round trip could not be set up (libvirtd missing, not root, a side not answering): one line saying why.</summary>
internal sealed class SetupException(string message) : Exception(message);

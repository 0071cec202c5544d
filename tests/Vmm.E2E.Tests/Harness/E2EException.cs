namespace Vmm.E2E.Harness;

/// <summary>The cluster could not be set up, or a condition was not met in time: one line, then the logs that explain it.</summary>
internal sealed class E2EException(string message) : Exception(message);

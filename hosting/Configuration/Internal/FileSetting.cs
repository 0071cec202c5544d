namespace Vmm.Hosting.Configuration.Internal;

/// <summary>One <c>name = value</c> a file gave, with its 1-based line for messages.</summary>
internal readonly record struct FileSetting(string Name, RawValue Value, int Line);

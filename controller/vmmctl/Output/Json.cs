using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Vmm.Ctl.Output;

/// <summary>
/// JSON for scripts, written with Utf8JsonWriter (no reflection: AOT-safe and small). Keys are the protocol's
/// attribute names; every size is in bytes (the wire carries memory in KiB, which the writers convert); 64-bit ids are strings, since
/// jq and JavaScript hold numbers as doubles. Every key is always present (null when unknown).
/// </summary>
internal static class Json
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions OneLine = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes one document to stdout: indented, or on one line (JSON lines, for watch).</summary>
    public static void Write(Action<Utf8JsonWriter> document, bool oneLine = false)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, oneLine ? OneLine : Indented)) document(w);
        Console.Out.Write(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n");
        Console.Out.Flush();
    }

    public static void StringOrNull(this Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }

    public static void NumberOrNull(this Utf8JsonWriter w, string name, ulong? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    public static void Id(this Utf8JsonWriter w, string name, ulong? id)
    {
        if (id is { } v and not 0) w.WriteString(name, v.ToString(System.Globalization.CultureInfo.InvariantCulture));
        else w.WriteNull(name);
    }

    public static void Uuid(this Utf8JsonWriter w, string name, Guid uuid)
    {
        if (uuid == Guid.Empty) w.WriteNull(name);
        else w.WriteString(name, uuid.ToString());
    }
}

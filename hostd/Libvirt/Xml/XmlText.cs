using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Vmm.Hostd.Libvirt.Xml;

/// <summary>
/// The one way this folder writes and reads XML. Values only ever reach XML through XmlWriter, which escapes
/// them, so a hostile name cannot add elements; reading prohibits DTDs, so libvirt's or anyone's XML cannot
/// expand entities or reach for external files.
/// </summary>
internal static class XmlText
{
    private static readonly XmlWriterSettings WriterSettings = new()
    {
        OmitXmlDeclaration = true,
        Indent = true,
        IndentChars = "  ",
        NewLineChars = "\n",
        // Control characters cannot be written as XML 1.0 at all: refusing is the only safe answer.
        CheckCharacters = true,
    };

    private static readonly XmlReaderSettings ReaderSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    /// <summary>Runs <paramref name="write"/> on a fresh writer and returns the document it wrote.</summary>
    public static string Write(Action<XmlWriter> write)
    {
        var sb = new StringBuilder(512);
        using (var w = XmlWriter.Create(sb, WriterSettings))
        {
            write(w);
        }
        return sb.ToString();
    }

    /// <summary>Writes an element holding one text value.</summary>
    public static void Element(XmlWriter w, string name, string value)
    {
        w.WriteStartElement(name);
        w.WriteString(value);
        w.WriteEndElement();
    }

    /// <summary>Writes <c>&lt;name unit='KiB'&gt;value&lt;/name&gt;</c> (or another unit).</summary>
    public static void Scaled(XmlWriter w, string name, string unit, ulong value)
    {
        w.WriteStartElement(name);
        w.WriteAttributeString("unit", unit);
        w.WriteString(Number(value));
        w.WriteEndElement();
    }

    public static string Number(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses <paramref name="xml"/>; malformed XML, a DTD or the wrong root is one line of FormatException.</summary>
    public static XElement Load(string xml, string rootName, string what)
    {
        XDocument doc;
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), ReaderSettings);
            doc = XDocument.Load(reader);
        }
        catch (XmlException e)
        {
            throw new FormatException($"{what}: not well-formed XML ({OneLine(e.Message)})", e);
        }
        var root = doc.Root!;
        if (root.Name != rootName)
            throw new FormatException($"{what}: the root element is <{Protocol.Validation.Shorten(root.Name.LocalName)}>, not <{rootName}>");
        return root;
    }

    /// <summary>An attribute's value, or null when absent.</summary>
    public static string? Attr(XElement? e, string name) => e?.Attribute(name)?.Value;

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}

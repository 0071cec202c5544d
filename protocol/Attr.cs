namespace Vmm.Protocol;

/// <summary>A disk as a VM record reports it (spec §6.3).</summary>
/// <param name="Target">Device name in the guest, such as vda.</param>
/// <param name="Bus">Bus.</param>
/// <param name="Flags">Read-only, cdrom, owned by Vmm.</param>
/// <param name="Capacity">Virtual size in bytes.</param>
public sealed record DiskInfo(string Target, DiskBus Bus, DiskFlags Flags, ulong Capacity);

/// <summary>A NIC as a VM record reports it (spec §6.4).</summary>
/// <param name="Mac">MAC address in the low 48 bits.</param>
/// <param name="Model">Device model.</param>
/// <param name="Kind">What it is attached to.</param>
/// <param name="Source">Network or bridge name; empty when the kind has none.</param>
public sealed record NicInfo(ulong Mac, NicModel Model, NicKind Kind, string Source);

/// <summary>
/// One attribute (spec §5). Exactly one value member is set, chosen by the registry's kind for
/// <see cref="Type"/>: <see cref="Number"/> for integers and MACs, <see cref="Text"/> for text and names,
/// <see cref="Nested"/>, <see cref="Disk"/>, <see cref="Nic"/>, or <see cref="Opaque"/> for bytes and unknown types.
/// </summary>
public sealed record Attr
{
    /// <summary>Wire type without the critical bit; may be a value the registry does not know.</summary>
    public required AttrType Type { get; init; }
    /// <summary>Whether the sender set the critical bit.</summary>
    public bool Critical { get; init; }
    /// <summary>Integer value (also a MAC, in the low 48 bits).</summary>
    public ulong Number { get; init; }
    /// <summary>Text or name value.</summary>
    public string? Text { get; init; }
    /// <summary>Nested attribute list (frozen when set).</summary>
    public AttrList? Nested { get; init => field = value?.Frozen(); }
    /// <summary>Disk state value.</summary>
    public DiskInfo? Disk { get; init; }
    /// <summary>NIC state value.</summary>
    public NicInfo? Nic { get; init; }
    /// <summary>Bytes: the value of a bytes attribute, or of an attribute this codec does not know.</summary>
    public Blob? Opaque { get; init; }

    /// <summary>The registry row, or null for an unknown type.</summary>
    public AttrDef? Def => AttrRegistry.Find((byte)Type);
}

/// <summary>
/// An attribute list kept in wire order: ascending type, repeats in the order added (spec §5.1). Built with Add,
/// frozen once a record holds it (see <see cref="ValueList{T}"/>).
/// </summary>
public sealed class AttrList : ValueList<Attr>
{
    /// <summary>An empty list.</summary>
    public AttrList() { }

    /// <summary>The empty list, frozen: the default of every record's attribute list.</summary>
    public static new AttrList Empty { get; } = new AttrList().Frozen();

    /// <summary>Makes the list read-only for good (a record that takes it calls this); returns it.</summary>
    public AttrList Frozen()
    {
        Freeze();
        return this;
    }

    /// <summary>Adds <paramref name="a"/> after every attribute of a lower or equal type.</summary>
    public new AttrList Add(Attr a)
    {
        int i = Count;
        while (i > 0 && (byte)this[i - 1].Type > (byte)a.Type) i--;
        Insert(i, a);
        return this;
    }

    /// <summary>Adds an integer attribute.</summary>
    public AttrList Add(AttrType t, ulong v) => Add(new Attr { Type = t, Number = v });

    /// <summary>Adds a text or name attribute.</summary>
    public AttrList Add(AttrType t, string v) => Add(new Attr { Type = t, Text = v });

    /// <summary>Adds a <c>message</c>, cut at a character boundary to its limit (<see cref="AttrRegistry.MaxMessageBytes"/>).</summary>
    public AttrList AddMessage(string message) => Add(AttrType.Message, AttrRegistry.Cut(AttrType.Message, message));

    /// <summary>Adds a nested attribute list.</summary>
    public AttrList Add(AttrType t, AttrList v) => Add(new Attr { Type = t, Nested = v });

    /// <summary>Adds a disk state.</summary>
    public AttrList Add(DiskInfo d) => Add(new Attr { Type = AttrType.Disk, Disk = d });

    /// <summary>Adds a NIC state.</summary>
    public AttrList Add(NicInfo n) => Add(new Attr { Type = AttrType.Nic, Nic = n });

    /// <summary>The first attribute of type <paramref name="t"/>, or null.</summary>
    public Attr? Find(AttrType t)
    {
        foreach (var a in this)
            if (a.Type == t) return a;
        return null;
    }

    /// <summary>The integer value of the first <paramref name="t"/>, or null.</summary>
    public ulong? Number(AttrType t) => Find(t)?.Number;

    /// <summary>The text value of the first <paramref name="t"/>, or null.</summary>
    public string? Text(AttrType t) => Find(t)?.Text;

    /// <summary>Every attribute of type <paramref name="t"/>, in order.</summary>
    public IEnumerable<Attr> All(AttrType t) => this.Where(a => a.Type == t);

    /// <summary>A new list of every attribute but those of type <paramref name="t"/>.</summary>
    public AttrList Without(AttrType t)
    {
        var copy = new AttrList();
        foreach (var a in this)
            if (a.Type != t) copy.Add(a);
        return copy;
    }
}

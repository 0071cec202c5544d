using System.Runtime.CompilerServices;

namespace Vmm.Protocol.Pdus;

/// <summary>
/// The usage counters of one VM at one moment (spec §16): attributes 0x70-0x7A, each present or not. A value type
/// with no references, so a sender fills one per VM and a receiver reads one per record without allocating.
/// </summary>
public struct UsageCounters
{
    /// <summary>The first counter's attribute type; the counters are the types from here to <see cref="Last"/>.</summary>
    public const AttrType First = AttrType.CpuTimeNs;
    /// <summary>The last counter's attribute type.</summary>
    public const AttrType Last = AttrType.NetTxPackets;
    /// <summary>How many counters there are.</summary>
    public const int Count = Last - First + 1;

    private Values _values;
    private ushort _present;

    /// <summary>True for a counter attribute type (0x70-0x7A).</summary>
    public static bool IsCounter(AttrType type) => type is >= First and <= Last;

    /// <summary>Whether the sender reported <paramref name="type"/>.</summary>
    public readonly bool Has(AttrType type) => (_present & (1 << (type - First))) != 0;

    /// <summary>The value of <paramref name="type"/>; 0 when not reported.</summary>
    public readonly ulong this[AttrType type] => _values[type - First];

    /// <summary>No counter reported.</summary>
    public readonly bool IsEmpty => _present == 0;

    /// <summary>Sets <paramref name="type"/> to <paramref name="value"/> and marks it reported.</summary>
    public void Set(AttrType type, ulong value)
    {
        _values[type - First] = value;
        _present |= (ushort)(1 << (type - First));
    }

    /// <summary>Adds <paramref name="value"/> to <paramref name="type"/> (a sum over disks or NICs) and marks it reported.</summary>
    public void Add(AttrType type, ulong value) => Set(type, this[type] + value);

    /// <summary>Reads the counters of an attribute list (a usage record's), ignoring any other attribute.</summary>
    public static UsageCounters Read(AttrReader attrs)
    {
        var c = new UsageCounters();
        while (attrs.MoveNext())
            if (IsCounter(attrs.Type)) c.Set(attrs.Type, attrs.Number);
        return c;
    }

    /// <summary>The counters as attributes, in type order.</summary>
    public readonly AttrList ToAttributes()
    {
        var list = new AttrList();
        for (var t = First; t <= Last; t++)
            if (Has(t)) list.Add(t, this[t]);
        return list;
    }

    /// <summary>Bytes the counters take as attributes: 11 a counter.</summary>
    public readonly int EncodedSize => System.Numerics.BitOperations.PopCount(_present) * (3 + 8);

    [InlineArray(Count)]
    private struct Values
    {
        private ulong _first;
    }
}

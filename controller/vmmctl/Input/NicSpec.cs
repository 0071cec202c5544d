using Vmm.Protocol;
using Vmm.Protocol.Text;

namespace Vmm.Ctl.Input;

/// <summary>
/// A NIC to create (spec §8.1, nic-spec): on a libvirt network or a host bridge, with an optional model and
/// MAC. Written network=NET|bridge=BR[,model=MODEL][,mac=MAC]; a bare network name may lead: default,model=e1000.
/// </summary>
internal sealed record NicSpec(string? Network, string? Bridge, NicModel? Model, ulong? Mac)
{
    public const string Syntax = "network=NET or bridge=BR, then [,model=MODEL][,mac=MAC]";

    public static NicSpec Parse(string text)
    {
        var spec = new NicSpec(null, null, null, null);
        var items = text.Split(',');
        for (int i = 0; i < items.Length; i++)
        {
            var item = items[i];
            if (!item.Contains('=') && i == 0) item = "network=" + item;
            else if (!item.Contains('=')) throw new UsageException($"nic '{Sizes.Shorten(text)}': '{Sizes.Shorten(item)}' is not KEY=VALUE; a NIC is {Syntax}");
            int eq = item.IndexOf('=');
            string key = item[..eq], value = item[(eq + 1)..];
            spec = key switch
            {
                "network" => spec.With(network: value),
                "bridge" => spec.With(bridge: value),
                "model" => spec.With(model: value),
                "mac" => spec.With(mac: value),
                _ => throw new UsageException($"nic '{Sizes.Shorten(text)}': unknown key '{Sizes.Shorten(key)}'; a NIC is {Syntax}"),
            };
        }
        return spec.Checked();
    }

    /// <summary>Adds parts, each at most once; every value is checked as it comes.</summary>
    public NicSpec With(string? network = null, string? bridge = null, string? model = null, string? mac = null)
    {
        var spec = this;
        if (network is not null)
            spec = spec with { Network = spec.Network is null ? Checks.Name(network, "network") : throw Twice("network") };
        if (bridge is not null)
            spec = spec with { Bridge = spec.Bridge is null ? Checks.Name(bridge, "bridge", 15) : throw Twice("bridge") };
        if (model is not null)
        {
            if (!Names.TryParse(model, out NicModel m) || !char.IsAsciiLetter(model[0]))
                throw new UsageException($"NIC model '{Sizes.Shorten(model)}' is not one of virtio, e1000, e1000e, rtl8139");
            spec = spec with { Model = spec.Model is null ? m : throw Twice("model") };
        }
        if (mac is not null) spec = spec with { Mac = spec.Mac is null ? Checks.Mac(mac) : throw Twice("mac") };
        return spec;
    }

    /// <summary>Exactly one of network or bridge (spec §8.1).</summary>
    public NicSpec Checked() => (Network, Bridge) switch
    {
        (null, null) => throw new UsageException($"a NIC needs a network or a bridge: {Syntax}"),
        (not null, not null) => throw new UsageException("a NIC is on a network or on a bridge, not both"),
        _ => this,
    };

    /// <summary>The nested nic-spec attribute list.</summary>
    public AttrList ToAttributes()
    {
        var list = new AttrList();
        if (Mac is { } mac) list.Add(AttrType.Mac, mac);
        if (Network is not null) list.Add(AttrType.Network, Network);
        if (Bridge is not null) list.Add(AttrType.Bridge, Bridge);
        if (Model is { } model) list.Add(AttrType.Model, (ulong)model);
        return list;
    }

    private static UsageException Twice(string key) => new($"NIC {key} is given twice");
}

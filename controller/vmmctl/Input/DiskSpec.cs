using Vmm.Protocol;
using Vmm.Protocol.Text;

namespace Vmm.Ctl.Input;

/// <summary>
/// A disk to create (spec §8.1, disk-spec): a blank volume of a size, or an overlay on a base image.
/// Written SIZE or base=IMAGE[,size=SIZE][,bus=BUS][,target=DEV]; a bare size may lead: 20G,bus=sata.
/// </summary>
internal sealed record DiskSpec(ulong? Size, string? BaseImage, DiskBus? Bus, string? Target)
{
    public const string Syntax = "SIZE or base=IMAGE[,size=SIZE][,bus=BUS][,target=DEV]";

    public static DiskSpec Parse(string text)
    {
        var spec = new DiskSpec(null, null, null, null);
        var items = text.Split(',');
        for (int i = 0; i < items.Length; i++)
        {
            var item = items[i];
            int eq = item.IndexOf('=');
            if (eq < 0 && i == 0) item = "size=" + item;
            else if (eq < 0) throw new UsageException($"disk '{Sizes.Shorten(text)}': '{Sizes.Shorten(item)}' is not KEY=VALUE; a disk is {Syntax}");
            eq = item.IndexOf('=');
            string key = item[..eq], value = item[(eq + 1)..];
            spec = key switch
            {
                "size" => spec with { Size = spec.Size is null ? Sizes.ParseBytes(value, "disk size") : throw Twice(key) },
                "base" or "base-image" => spec with { BaseImage = spec.BaseImage is null ? Image(value) : throw Twice("base") },
                "bus" => spec.WithBus(value),
                "target" => spec.WithTarget(value),
                _ => throw new UsageException($"disk '{Sizes.Shorten(text)}': unknown key '{Sizes.Shorten(key)}'; a disk is {Syntax}"),
            };
        }
        if (spec.Size is null && spec.BaseImage is null)
            throw new UsageException($"disk '{Sizes.Shorten(text)}' needs a size or a base image: {Syntax}");
        return spec;
    }

    public DiskSpec WithBus(string value)
    {
        if (!Names.TryParse(value, out DiskBus bus) || !char.IsAsciiLetter(value[0]))
            throw new UsageException($"disk bus '{Sizes.Shorten(value)}' is not one of virtio, scsi, sata, ide, usb");
        return this with { Bus = Bus is null ? bus : throw Twice("bus") };
    }

    public DiskSpec WithTarget(string value) =>
        this with { Target = Target is null ? Checks.Name(value, "disk target", 32) : throw Twice("target") };

    /// <summary>The nested disk-spec attribute list.</summary>
    public AttrList ToAttributes()
    {
        var list = new AttrList();
        if (Target is not null) list.Add(AttrType.Target, Target);
        if (Size is { } size) list.Add(AttrType.Size, size);
        if (BaseImage is not null) list.Add(AttrType.BaseImage, BaseImage);
        if (Bus is { } bus) list.Add(AttrType.Bus, (ulong)bus);
        return list;
    }

    private static string Image(string path)
    {
        if (!path.StartsWith('/'))
            throw new UsageException($"base image '{Sizes.Shorten(path)}' must be an absolute path on the host");
        if (!Validation.IsText(path) || System.Text.Encoding.UTF8.GetByteCount(path) > 1024)
            throw new UsageException($"base image '{Sizes.Shorten(path)}' is not a path of at most 1024 bytes");
        return path;
    }

    private static UsageException Twice(string key) => new($"disk {key} is given twice");
}

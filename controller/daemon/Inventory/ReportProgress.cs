// Which pages of the complete report being collected have arrived (spec §6.5, "When a report is complete").
namespace Vmm.Controller.Inventory;

/// <summary>Collection state of one host's current report. Guarded by its host's lock.</summary>
internal sealed class ReportProgress
{
    private ulong[] _seen = new ulong[1];
    private uint _report;      // the report being collected, or the newest one seen
    private ushort _pages;
    private int _count;
    private bool _collecting;  // false once complete, or before any page of this boot

    /// <summary>The lowest sequence among the pages of the report being collected.</summary>
    public ulong LowestSequence { get; private set; }

    /// <summary>Number of the newest report that was complete, 0 for none in this boot.</summary>
    public uint LastComplete { get; private set; }

    /// <summary>Forgets everything: a new boot, or a datagram saying the hypervisor is unreachable.</summary>
    public void Reset()
    {
        _report = 0;
        _collecting = false;
        _count = 0;
    }

    /// <summary>
    /// Notes page <paramref name="page"/> of report <paramref name="report"/>. True when the page belongs to
    /// the report being collected (its records then count as seen in it); false for a page of an older or
    /// already complete report, which is applied as records but completes nothing.
    /// </summary>
    public bool Add(uint report, ushort page, ushort pages, ulong sequence)
    {
        if (report < _report || (report == _report && !_collecting && _count > 0)) return false;
        if (report > _report || pages != _pages || !_collecting) Start(report, pages, sequence);
        ref ulong word = ref _seen[page >> 6];
        ulong bit = 1UL << (page & 63);
        if ((word & bit) == 0)
        {
            word |= bit;
            _count++;
        }
        if (sequence < LowestSequence) LowestSequence = sequence;
        return true;
    }

    /// <summary>
    /// True for a page of the report being collected that has not arrived yet: a page that was overtaken by a
    /// later page of its report (its sequence is then older than the newest accepted) still counts (spec §6.5).
    /// </summary>
    public bool Awaits(uint report, ushort page, ushort pages) =>
        _collecting && report == _report && pages == _pages && page < pages && (_seen[page >> 6] & (1UL << (page & 63))) == 0;

    /// <summary>True right after the last missing page of the collected report arrived; the report then stops collecting.</summary>
    public bool TryComplete(out uint report)
    {
        report = _report;
        if (!_collecting || _count < _pages) return false;
        _collecting = false;
        LastComplete = report;
        return true;
    }

    private void Start(uint report, ushort pages, ulong sequence)
    {
        int words = (pages + 63) >> 6;
        if (_seen.Length < words) _seen = new ulong[words];
        else Array.Clear(_seen, 0, words);
        _report = report;
        _pages = pages;
        _count = 0;
        _collecting = true;
        LowestSequence = sequence;
    }
}

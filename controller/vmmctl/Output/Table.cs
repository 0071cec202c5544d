namespace Vmm.Ctl.Output;

/// <summary>
/// A table for people: a header row, columns padded to their widest cell and two spaces apart, no padding
/// after the last column (so lines have no trailing blanks and awk splits them on white space).
/// </summary>
internal sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [headers];

    public void Add(params string[] cells)
    {
        if (cells.Length != headers.Length) throw new ArgumentException($"a row of {cells.Length} cells in a table of {headers.Length} columns");
        _rows.Add(cells);
    }

    /// <summary>Writes the table; without <paramref name="header"/> the header row only names the columns.</summary>
    public void Write(TextWriter output, bool header = true)
    {
        var rows = header ? _rows : _rows.Skip(1);
        var widths = new int[headers.Length];
        foreach (var row in rows)
            for (int i = 0; i < row.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        var line = new System.Text.StringBuilder();
        foreach (var row in rows)
        {
            line.Clear();
            for (int i = 0; i < row.Length; i++)
            {
                line.Append(row[i]);
                if (i < row.Length - 1) line.Append(' ', widths[i] - row[i].Length + 2);
            }
            output.Write(line.Append('\n'));
        }
    }
}

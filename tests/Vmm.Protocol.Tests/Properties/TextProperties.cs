// Text-form laws (spec §10): Parse inverts Format for every PDU type, Format is one line, and Parse of
// anything else raises only FormatException.
using FsCheck.Xunit;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Tests.Generators;
using Vmm.Protocol.Tests.Support;
using Vmm.Protocol.Text;
using Xunit.Sdk;

namespace Vmm.Protocol.Tests.Properties;

[Properties(Arbitrary = [typeof(Arbs)], MaxTest = 200)]
public sealed class TextProperties
{
    [Property] public void Parse_of_Format_is_identity_for_state(StatePdu x) => ParseOfFormat(x);
    [Property] public void Parse_of_Format_is_identity_for_request(RequestPdu x) => ParseOfFormat(x);
    [Property] public void Parse_of_Format_is_identity_for_ack(AckPdu x) => ParseOfFormat(x);
    [Property] public void Parse_of_Format_is_identity_for_error(ErrorPdu x) => ParseOfFormat(x);
    [Property] public void Parse_of_Format_is_identity_for_query(AdminQueryPdu x) => ParseOfFormat(x);
    [Property] public void Parse_of_Format_is_identity_for_submit(AdminSubmitPdu x) => ParseOfFormat(x);
    [Property] public void Parse_of_Format_is_identity_for_host(AdminHostPdu x) => ParseOfFormat(x);
    [Property] public void Parse_of_Format_is_identity_for_vm(AdminVmPdu x) => ParseOfFormat(x);
    [Property] public void Parse_of_Format_is_identity_for_result(AdminResultPdu x) => ParseOfFormat(x);
    [Property] public void Parse_of_Format_is_identity_for_event(AdminEventPdu x) => ParseOfFormat(x);

    private static void ParseOfFormat(Pdu generated)
    {
        var x = generated;
        string text = PduText.Format(x);
        Wire.AssertOneLine(text);
        Pdu back;
        try { back = PduText.Parse(text); }
        catch (FormatException e) { throw new XunitException($"Parse(Format(x)) threw: {e.Message}\n text: {text}"); }
        if (!back.Equals(x)) throw new XunitException($"Parse(Format(x)) != x\n text: {text}\n back: {Wire.Show(back)}");
        Assert.Equal(text, PduText.Format(back));
    }

    /// <summary>spec §10: "Parsing accepts ... attributes in any order (it sorts them)"; repeats keep their order.</summary>
    [Property(MaxTest = 300)]
    public void Parse_sorts_attributes_written_in_any_order(Pdu generated, Seed seed)
    {
        var x = generated;
        var shuffled = Shuffle.Attributes(x, new Random(seed.Value));
        string text = PduText.Format(shuffled);
        Pdu back;
        try { back = PduText.Parse(text); }
        catch (FormatException e) { throw new XunitException($"Parse threw: {e.Message}\n text: {text}"); }
        if (!back.Equals(x)) throw new XunitException($"Parse(shuffled) != x\n text: {text}\n back: {Wire.Show(back)}\n x:    {Wire.Show(x)}");
    }

    private static readonly string[] Keywords = ["state", "request", "ack", "error", "query", "submit", "host", "vm", "result"];

    [Property(MaxTest = 3000)]
    public void Parse_of_arbitrary_text_raises_only_FormatException(TextInput input) => OnlyFormatException(input.Value);

    [Property(MaxTest = 3000)]
    public void Parse_of_arbitrary_text_after_a_keyword_raises_only_FormatException(TextInput input, Seed seed) =>
        OnlyFormatException(Keywords[(uint)seed.Value % Keywords.Length] + " " + input.Value);

    [Property(MaxTest = 2000)]
    public void Parse_of_mutated_text_raises_only_FormatException(Pdu x, Seed seed) => OnlyFormatException(Mutate(x, seed));

    /// <summary>Conventions, "Errors": every error a user can see says what was wrong in one line.</summary>
    [Property(MaxTest = 2000)]
    public void Parse_errors_are_one_line_for_arbitrary_text(TextInput input, Seed seed) =>
        ErrorIsOneLine(Keywords[(uint)seed.Value % Keywords.Length] + " " + input.Value);

    [Property(MaxTest = 1000)]
    public void Parse_errors_are_one_line_for_mutated_text(Pdu x, Seed seed) => ErrorIsOneLine(Mutate(x, seed));

    /// <summary>A valid line with characters inserted, deleted or replaced, lexer-relevant ones favoured.</summary>
    private static string Mutate(Pdu x, Seed seed)
    {
        var text = new System.Text.StringBuilder(PduText.Format(x));
        var r = new Random(seed.Value);
        const string Pool = " ={}!\"\\:,.-x0123456789abcdefz\t\n\0\u00e9\u65e5\ud83d\ude00\ud800";
        int n = 1 + r.Next(5);
        for (int i = 0; i < n; i++)
        {
            int at = r.Next(text.Length + 1);
            char c = Pool[r.Next(Pool.Length)];
            switch (r.Next(3))
            {
                case 0: text.Insert(at, c); break;
                case 1: if (at < text.Length) text.Remove(at, 1); break;
                default: if (at < text.Length) text[at] = c; break;
            }
        }
        return text.ToString();
    }

    private static void OnlyFormatException(string s)
    {
        try { PduText.Parse(s); }
        catch (FormatException) { }
        catch (Exception e)
        {
            throw new XunitException($"PduText.Parse threw {e.GetType().Name}: {e.Message}\n input: \"{TextInput.Escape(s)}\"", e);
        }
    }

    private static void ErrorIsOneLine(string s)
    {
        try { PduText.Parse(s); }
        catch (FormatException e)
        {
            if (e.Message.IndexOfAny(['\n', '\r']) >= 0)
                throw new XunitException($"error message is not one line: \"{TextInput.Escape(e.Message)}\"\n input: \"{TextInput.Escape(s)}\"");
        }
        catch (Exception) { } // reported by the OnlyFormatException laws
    }
}


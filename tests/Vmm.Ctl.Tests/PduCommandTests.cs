using System.Net;
using System.Net.Sockets;
using System.Text;
using Vmm.Protocol;
using Vmm.Protocol.Tests.Vectors;
using Xunit;

namespace Vmm.Ctl.Tests;

/// <summary>vmmctl pdu, driven as a person drives it: text in, bytes out, and back.</summary>
public sealed class PduCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vmmctl-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Positive() => new(Vectors.All().Where(v => v.Error is null).Select(v => v.Name));
    public static TheoryData<string> Negative() => new(Vectors.All().Where(v => v.Error is not null && v.Error != Vector.NeedMore).Select(v => v.Name));

    private static Vector Get(string name) => Vectors.Get(name);

    [Theory]
    [MemberData(nameof(Positive))]
    public void Encode_writes_the_vector_bytes(string name)
    {
        var v = Get(name);
        var args = new List<string> { "pdu", "encode", v.Text!, "--hex" };
        if (v.Key is not null) args.AddRange(["--key-file", v.KeyFile(_dir)]);
        var r = Vmmctl.Run([.. args]);
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(Convert.ToHexStringLower(v.Bytes), r.Text.Trim());
    }

    [Theory]
    [MemberData(nameof(Positive))]
    public void Decode_prints_the_vector_text(string name)
    {
        var v = Get(name);
        var args = new List<string> { "pdu", "decode" };
        if (v.Key is not null) args.AddRange(["--verify", "--key-file", v.KeyFile(_dir)]);
        var r = Vmmctl.Run(v.Bytes, [.. args]);
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(v.Text + "\n", r.Text);
    }

    [Theory]
    [MemberData(nameof(Negative))]
    public void Decode_of_a_bad_PDU_is_one_line_naming_the_error(string name)
    {
        var v = Get(name);
        var args = new List<string> { "pdu", "decode" };
        if (v.Key is not null) args.AddRange(["--verify", "--key-file", v.KeyFile(_dir)]);
        if (v.Datagram) args.AddRange(["--max-length", "1200"]);
        var r = Vmmctl.Run(v.Bytes, [.. args]);
        Assert.Equal(1, r.Exit);
        AssertOneLine(r.Stderr);
        // Datagram-only faults (truncated, trailing bytes) read as an incomplete stream or extra bytes here.
        if (v.Error is not ("truncated" or "bad-length") || !v.Datagram)
            Assert.Contains(v.Error!, r.Stderr);
    }

    [Fact]
    public void Decode_stream_prints_every_PDU_of_a_concatenation_and_accepts_hex()
    {
        var vectors = Vectors.All().Where(v => v.Error is null && !v.Datagram && v.Key is null).ToList();
        var hex = string.Join("\n", vectors.Select(v => Convert.ToHexStringLower(v.Bytes)));
        var r = Vmmctl.Run(Encoding.ASCII.GetBytes(hex + "\n"), "pdu", "decode", "--stream");
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(vectors.Select(v => v.Text), r.Text.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Decode_without_stream_refuses_bytes_after_the_PDU()
    {
        var one = Get("ack-busy").Bytes;
        var r = Vmmctl.Run([.. one, .. one], "pdu", "decode");
        Assert.Equal(1, r.Exit);
        Assert.Contains("--stream", r.Stderr);
    }

    [Fact]
    public void Decode_reports_a_stream_cut_inside_a_PDU()
    {
        var one = Get("ack-busy").Bytes;
        var r = Vmmctl.Run(one[..^3], "pdu", "decode", "--stream");
        Assert.Equal(1, r.Exit);
        AssertOneLine(r.Stderr);
        Assert.Contains("incomplete", r.Stderr);
    }

    [Fact]
    public void Verify_with_another_key_names_the_wrong_key()
    {
        var v = Get("request-start");
        var other = Path.Combine(_dir, "other.key");
        // A key of another id than the vector's: one of the same id (1 in 256) is refused as bad-tag instead.
        var key = ClusterKey.Generate().DeriveHostKey("hv-01");
        while (key.Id == v.Bytes[5]) key = ClusterKey.Generate().DeriveHostKey("hv-01");
        File.WriteAllText(other, new KeyFileContents(key, "hv-01").ToFileText());
        var r = Vmmctl.Run(v.Bytes, "pdu", "decode", "--verify", "--key-file", other);
        Assert.Equal(1, r.Exit);
        Assert.Contains("wrong-key", r.Stderr);
    }

    [Fact]
    public void The_master_key_verifies_a_STATE_by_its_host_and_anything_else_with_host()
    {
        var state = Get("state-stopping");   // from hv-02
        var r = Vmmctl.Run(state.Bytes, "pdu", "decode", "--verify", "--key-file", state.MasterFile(_dir));
        Assert.True(r.Exit == 0, r.Stderr);
        Assert.Equal(state.Text, r.Text.Trim());

        var request = Get("request-start");  // to hv-01
        r = Vmmctl.Run(request.Bytes, "pdu", "decode", "--verify", "--key-file", request.MasterFile(_dir), "--host", "hv-01");
        Assert.True(r.Exit == 0, r.Stderr);
        r = Vmmctl.Run(request.Bytes, "pdu", "decode", "--verify", "--key-file", request.MasterFile(_dir), "--host", "hv-02");
        Assert.Equal(1, r.Exit);
        Assert.Contains("wrong-key", r.Stderr);
        r = Vmmctl.Run("pdu", "encode", "request id=1 code=ping", "--key-file", request.MasterFile(_dir), "--hex");
        Assert.Equal(1, r.Exit);
        AssertOneLine(r.Stderr);
        Assert.Contains("--host", r.Stderr);
    }

    [Theory]
    [InlineData("request id=1 code=pings", "not a valid code")]
    [InlineData("request code=ping", "missing id=")]
    [InlineData("request id=1 code=add name=\"web 01\"", "name")]
    [InlineData("request id=0 code=ping", "request_id is 0")]
    [InlineData("ack id=1 code=busy frobnicate=3", "unknown field 'frobnicate'")]
    [InlineData("ack id=99999999999999999999 code=busy", "not a number")]
    [InlineData("state host=hv-01 boot=1 seq=1 vm={uuid=x power=running}", "not a uuid")]
    [InlineData("hello", "unknown PDU keyword")]
    public void Encode_of_bad_text_is_one_line_and_exit_1(string text, string expected)
    {
        var r = Vmmctl.Run("pdu", "encode", text, "--hex");
        Assert.Equal(1, r.Exit);
        AssertOneLine(r.Stderr);
        Assert.Contains(expected, r.Stderr);
        Assert.Empty(r.Stdout);
    }

    [Fact]
    public void Encode_no_check_writes_a_PDU_the_decoder_refuses()
    {
        var bytes = Vmmctl.Run("pdu", "encode", "request id=0 code=ping", "--no-check");
        Assert.Equal(0, bytes.Exit);
        var r = Vmmctl.Run(bytes.Stdout, "pdu", "decode");
        Assert.Equal(1, r.Exit);
        Assert.Contains("bad-value", r.Stderr);
    }

    [Fact]
    public void Encode_reads_lines_from_stdin_and_skips_comments()
    {
        var input = "# a comment\nack id=1 code=success\n\nack id=2 code=busy\n";
        var enc = Vmmctl.Run(Encoding.UTF8.GetBytes(input), "pdu", "encode");
        Assert.Equal(0, enc.Exit);
        var dec = Vmmctl.Run(enc.Stdout, "pdu", "decode", "--stream");
        Assert.Equal("ack id=1 code=success\nack id=2 code=busy\n", dec.Text);
    }

    [Fact]
    public void Random_bytes_never_crash_decode()
    {
        var rng = new Random(20261124);
        for (int i = 0; i < 25; i++)
        {
            var junk = new byte[rng.Next(0, 300)];
            rng.NextBytes(junk);
            if (i % 2 == 0 && junk.Length >= 2) { junk[0] = 0x56; junk[1] = 0x4D; }
            var r = Vmmctl.Run(junk, "pdu", "decode", "--stream");
            Assert.True(r.Exit is 0 or 1, $"exit {r.Exit}: {r.Stderr}");
            Assert.DoesNotContain("   at ", r.Stderr);
            Assert.DoesNotContain("Unhandled", r.Stderr);
        }
    }

    [Fact]
    public async Task Listen_prints_each_datagram_and_reports_bad_ones_without_stopping()
    {
        int port;
        using (var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0))) port = ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
        var keyFile = Get("state-stopping").KeyFile(_dir);
        var listen = Task.Run(() => Vmmctl.Run("pdu", "listen", $"127.0.0.1:{port}", "--verify", "--key-file", keyFile, "--count", "3"));
        using var udp = new UdpClient();
        var good = Get("state-stopping").Bytes;
        var forged = (byte[])good.Clone();
        forged[^1] ^= 1;
        // Until the listener is up, datagrams are lost: repeat the first until it is seen.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!listen.IsCompleted && DateTime.UtcNow < deadline)
        {
            udp.Send(good, new IPEndPoint(IPAddress.Loopback, port));
            await Task.Delay(100);
            udp.Send(forged, new IPEndPoint(IPAddress.Loopback, port));
            await Task.Delay(100);
        }
        var r = await listen;
        Assert.Equal(0, r.Exit);
        Assert.Contains(Get("state-stopping").Text!, r.Text);
        Assert.Contains("bad-tag", r.Stderr);
    }

    [Fact]
    public void Missing_key_file_is_one_line()
    {
        var r = Vmmctl.Run("pdu", "encode", "request id=1 code=ping", "--key-file", Path.Combine(_dir, "nope.key"));
        Assert.Equal(1, r.Exit);
        AssertOneLine(r.Stderr);
        Assert.Contains("nope.key", r.Stderr);
    }

    internal static void AssertOneLine(string stderr)
    {
        Assert.False(string.IsNullOrWhiteSpace(stderr), "expected an error message on stderr");
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("vmmctl: ", stderr);
    }
}

using System.Buffers;
using Vmm.Protocol;
using Vmm.Protocol.Pdus;
using Vmm.Protocol.Text;

namespace Vmm.Ctl.Commands;

/// <summary>
/// vmmctl pdu: netcat-style protocol debugging. encode turns text-form lines into PDUs; decode turns a PDU,
/// a TCP stream or a run of datagrams (binary or hex) back into text lines, printing each as soon as it is whole.
/// </summary>
internal static class PduCommand
{
    private const string Help = """
        Usage: vmmctl pdu encode [TEXT...] [--key-file FILE [--host NAME]] [--hex] [--no-check]
               vmmctl pdu decode [--stream] [--verify --key-file FILE [--host NAME]] [--max-length N]
               vmmctl pdu listen [ADDRESS:]PORT [--verify --key-file FILE [--host NAME]] [--count N]

        --key-file is a host key (`vmmctl key derive`) or the cluster master key. A host's
        key signs and checks what that host sends and receives. With the master key, the
        key of the host a STATE names is derived from it, and --host NAME derives the key
        of NAME for every other PDU (requests to NAME, acks from NAME), as a controller does.

        encode  Encodes each TEXT (or, with none, each line of stdin) from the text form
                of spec/PROTOCOL.md §10 and writes the PDUs back to back on stdout. With
                --key-file the PDUs are signed; without it they go out unsigned (key id
                0), as the controller's admin socket expects. --hex writes
                hex, one PDU a line (also the default when stdout is a terminal).
                Each PDU is decoded again before it is written, so a PDU the spec forbids
                is refused; --no-check writes it anyway, for negative testing.
        decode  Reads stdin, binary or hex (detected from the first byte), and prints the
                text form of each PDU. Without --stream stdin must hold exactly one PDU;
                with --stream it is a TCP stream or a sequence of datagrams (nc -lu), and
                each PDU is printed when it is complete. --verify checks every tag with
                --key-file and fails on the first PDU that does not verify.
        listen  Receives UDP datagrams (heartbeats: point a hostd's controllers list at it)
                and prints each as a text line, or a one-line error on stderr for a bad
                one, which is skipped. Stops after --count datagrams, or on Ctrl-C.
                ADDRESS defaults to 0.0.0.0; use [::] for IPv6.

        Examples:
          vmmctl pdu encode 'request id=1 code=ping' --key-file /etc/vmm/cluster.key --host hv1 \
              | nc -q1 hv1 7401 | vmmctl pdu decode --stream --verify --key-file /etc/vmm/cluster.key --host hv1
          vmmctl pdu listen 7400 --verify --key-file /etc/vmm/cluster.key
          echo 'ack id=42 code=busy' | vmmctl pdu encode --hex
        """;

    public static int Run(string[] argv)
    {
        var args = new Args(argv, "--key-file", "--max-length", "--count", "--host");
        if (args.Has("--help") || args.Positional.Count == 0)
        {
            Console.Out.Write(Help + "\n");
            return args.Has("--help") ? Exit.Ok : Exit.Usage;
        }
        var key = args.Value("--key-file") is { } path ? new Signer(KeyCommand.Load(path), args.Value("--host")) : null;
        if (key is null && args.Value("--host") is not null) throw new UsageException("--host needs --key-file");
        return args.Positional[0] switch
        {
            "encode" => Encode(args, key),
            "decode" => Decode(args, key),
            "listen" => Listen(args, key),
            var other => throw new UsageException($"unknown pdu command '{other}' (encode or decode)"),
        };
    }

    private static int Encode(Args args, Signer? key)
    {
        args.Allow("--hex", "--no-check", "--key-file", "--host");
        bool hex = args.Has("--hex") || !Console.IsOutputRedirected;
        IEnumerable<string> lines = args.Positional.Count > 1 ? args.Positional.Skip(1) : ReadLines(Console.In);
        using var stdout = Console.OpenStandardOutput();
        var buffer = new byte[PduHeader.MaxStreamPdu];
        int n = 0;
        foreach (var line in lines)
        {
            n++;
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#')) continue;
            int length;
            try
            {
                var pdu = PduText.Parse(line);
                length = PduCodec.Encode(pdu, buffer, key?.For(pdu));
                if (!args.Has("--no-check")) PduCodec.Decode(buffer.AsSpan(0, length));
            }
            catch (Exception e) when (e is FormatException or ProtocolException or OverflowException or ArgumentException or UsageException)
            {
                return Cli.Fail($"line {n}: {e.Message}");
            }
            if (hex)
            {
                var text = System.Text.Encoding.ASCII.GetBytes(Convert.ToHexStringLower(buffer, 0, length) + "\n");
                stdout.Write(text);
            }
            else stdout.Write(buffer, 0, length);
            stdout.Flush();
        }
        return Exit.Ok;
    }

    private static int Listen(Args args, Signer? key)
    {
        args.Allow("--verify", "--key-file", "--count", "--host");
        if (args.Has("--verify") && key is null) throw new UsageException("--verify needs --key-file");
        if (args.Positional.Count != 2) throw new UsageException("usage: vmmctl pdu listen [ADDRESS:]PORT");
        var endpoint = ParseEndpoint(args.Positional[1]);
        long limit = long.MaxValue;
        if (args.Value("--count") is { } c && (!long.TryParse(c, out limit) || limit < 1))
            throw new UsageException("--count must be a positive number");

        using var socket = new System.Net.Sockets.Socket(endpoint.AddressFamily, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        try { socket.Bind(endpoint); }
        catch (System.Net.Sockets.SocketException e) { return Cli.Fail($"cannot listen on udp {endpoint}: {e.Message}"); }
        Console.Error.WriteLine($"vmmctl: listening on udp {socket.LocalEndPoint}");
        var buffer = new byte[65536];
        System.Net.EndPoint from = new System.Net.IPEndPoint(endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? System.Net.IPAddress.IPv6Any : System.Net.IPAddress.Any, 0);
        for (long n = 0; n < limit; n++)
        {
            int size = socket.ReceiveFrom(buffer, ref from);
            var datagram = buffer.AsSpan(0, size);
            try
            {
                var frame = new PduFrame(PduFraming.ReadDatagram(datagram, PduHeader.MaxDatagram), datagram);
                if (args.Has("--verify")) key!.Authenticate(frame);
                var pdu = PduCodec.Decode(frame);
                Console.Out.WriteLine(PduText.Format(pdu));
                Console.Out.Flush();
            }
            catch (ProtocolException e)
            {
                Console.Error.WriteLine($"vmmctl: datagram from {from}: {e.Code.Name()}: {e.Message}");
            }
        }
        return Exit.Ok;
    }

    private static System.Net.IPEndPoint ParseEndpoint(string text)
    {
        if (ushort.TryParse(text, out ushort port)) return new System.Net.IPEndPoint(System.Net.IPAddress.Any, port);
        if (System.Net.IPEndPoint.TryParse(text, out var ep) && ep.Port != 0) return ep;
        throw new UsageException($"'{text}' is not PORT or ADDRESS:PORT (e.g. 7400, 127.0.0.1:7400, [::1]:7400)");
    }

    private static IEnumerable<string> ReadLines(TextReader reader)
    {
        while (reader.ReadLine() is { } line) yield return line;
    }

    private static int Decode(Args args, Signer? key)
    {
        args.Allow("--stream", "--verify", "--key-file", "--max-length", "--host");
        bool stream = args.Has("--stream");
        bool verify = args.Has("--verify");
        if (verify && key is null) throw new UsageException("--verify needs --key-file");
        int max = PduHeader.MaxStreamPdu;
        if (args.Value("--max-length") is { } m && (!int.TryParse(m, out max) || max < PduHeader.MinPduSize || max > PduHeader.MaxStreamPdu))
            throw new UsageException($"--max-length must be a number from {PduHeader.MinPduSize} to {PduHeader.MaxStreamPdu}");

        using var stdin = Console.OpenStandardInput();
        var input = new InputDecoder(stdin);
        var pending = new ArrayBufferWriter<byte>(4096);
        int count = 0;
        while (true)
        {
            bool more = input.ReadInto(pending);
            // Decode every whole PDU now in the buffer, so a watcher sees each as it arrives.
            while (true)
            {
                var span = pending.WrittenSpan;
                if (span.IsEmpty) break;
                int consumed;
                try
                {
                    if (!PduFraming.TryReadFrame(span, out var header, out consumed, max)) break;
                    var frame = new PduFrame(header, span[..consumed]);
                    if (verify) key!.Authenticate(frame);
                    var pdu = PduCodec.Decode(frame);
                    Console.Out.WriteLine(PduText.Format(pdu));
                    Console.Out.Flush();
                }
                catch (ProtocolException e)
                {
                    return Cli.Fail($"PDU {count + 1}: {e.Code.Name()}: {e.Message}");
                }
                count++;
                var rest = span[consumed..].ToArray();
                pending.Clear();
                pending.Write(rest);
                if (!stream) break;
            }
            if (!stream && count == 1)
            {
                if (pending.WrittenCount > 0 || (more && input.HasMore()))
                    return Cli.Fail("more bytes follow the PDU; use --stream to decode a sequence");
                return Exit.Ok;
            }
            if (!more) break;
        }
        if (input.HexError is { } hexError) return Cli.Fail(hexError);
        if (pending.WrittenCount > 0)
            return Cli.Fail(count == 0 && pending.WrittenCount < PduHeader.Size
                ? $"input ends after {pending.WrittenCount} bytes, inside a PDU header"
                : $"input ends inside a PDU: {pending.WrittenCount} bytes of an incomplete PDU");
        if (count == 0) return Cli.Fail("no PDU on stdin");
        return Exit.Ok;
    }

    /// <summary>Reads stdin as binary, or as hex when its first non-blank byte is a hex digit (a PDU starts with 'V').</summary>
    private sealed class InputDecoder(Stream stdin)
    {
        private readonly byte[] _chunk = new byte[16384];
        private bool? _hex;
        private int _nibble = -1;

        public string? HexError { get; private set; }

        /// <summary>Appends what the next read brings; false at end of input.</summary>
        public bool ReadInto(ArrayBufferWriter<byte> output)
        {
            int n = stdin.Read(_chunk, 0, _chunk.Length);
            if (n == 0)
            {
                if (_nibble >= 0) HexError = "hex input has an odd number of digits";
                return false;
            }
            var data = _chunk.AsSpan(0, n);
            if (_hex is null)
            {
                int first = data.IndexOfAnyExcept(" \t\r\n"u8);
                if (first < 0) return true;
                _hex = char.IsAsciiHexDigit((char)data[first]);
            }
            if (_hex == false)
            {
                output.Write(data);
                return true;
            }
            foreach (byte b in data)
            {
                if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') continue;
                int v = HexValue(b);
                if (v < 0)
                {
                    HexError = $"'{(char)b}' is not a hex digit (hex input was detected from the first byte)";
                    return false;
                }
                if (_nibble < 0) _nibble = v;
                else
                {
                    output.Write([(byte)((_nibble << 4) | v)]);
                    _nibble = -1;
                }
            }
            return true;
        }

        /// <summary>True when stdin still holds non-blank bytes.</summary>
        public bool HasMore()
        {
            int n;
            while ((n = stdin.Read(_chunk, 0, _chunk.Length)) > 0)
                if (_chunk.AsSpan(0, n).IndexOfAnyExcept(" \t\r\n"u8) >= 0) return true;
            return false;
        }

        private static int HexValue(byte b) => b switch
        {
            >= (byte)'0' and <= (byte)'9' => b - '0',
            >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
            _ => -1,
        };
    }

    /// <summary>
    /// The key a PDU is signed or checked with (spec §3.3): a host key file's key; or, from a master key file, the
    /// key of the host a STATE names, or of --host for any other PDU.
    /// </summary>
    private sealed class Signer
    {
        private readonly KeyFileContents _file;
        private readonly ClusterKey? _host;

        public Signer(KeyFileContents file, string? host)
        {
            _file = file;
            if (host is null) return;
            if (Validation.NameProblem(host, "--host") is { } problem) throw new UsageException(problem);
            if (file.IsMaster) _host = file.Key.DeriveHostKey(host);
            else if (file.Host != host) throw new UsageException($"--host {host} does not match the key file, which holds {file.Describe()}");
        }

        public ClusterKey For(Pdu pdu) => pdu switch
        {
            StatePdu state => ForState(System.Text.Encoding.UTF8.GetBytes(state.Host)),
            UsagePdu usage => ForState(System.Text.Encoding.UTF8.GetBytes(usage.Host)),
            _ => ForOther(),
        };

        public void Authenticate(PduFrame frame)
        {
            // STATE and USAGE name their host at the same body offset (spec §3.3, §16.1).
            var key = frame.Type is PduType.State or PduType.Usage && StateView.TryPeekHost(frame.Body, out var host)
                ? ForState(host) : ForOther();
            key.Authenticate(frame.Bytes);
        }

        private ClusterKey ForState(ReadOnlySpan<byte> host) => _file.IsMaster ? _file.Key.DeriveHostKey(host) : _file.Key;

        private ClusterKey ForOther() => _file.IsMaster
            ? _host ?? throw new UsageException("the master key signs nothing itself: give --host NAME to use that host's key")
            : _file.Key;
    }
}

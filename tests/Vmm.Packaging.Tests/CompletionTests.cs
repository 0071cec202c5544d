namespace Vmm.Packaging.Tests;

/// <summary>packaging/completion/vmmctl.bash, loaded by bash-completion as an interactive shell would.</summary>
public sealed class CompletionTests
{
    private static readonly string Script = Path.Combine(Tool.RepoRoot, "packaging", "completion", "vmmctl.bash");
    private static readonly string Vmmctl = Path.Combine(Tool.BinDir, "vmmctl");

    /// <summary>
    /// What bash offers for <paramref name="line"/> (the word being completed is its last, "" after a
    /// space), through the function `complete -p vmmctl` names, as bash calls it.
    /// </summary>
    private static string[] Complete(string line, string command = "vmmctl")
    {
        var script = $$"""
            source /usr/share/bash-completion/bash_completion
            source '{{Script}}'
            function=$(complete -p vmmctl | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
            [[ -n $function ]] || { echo "vmmctl has no completion function" >&2; exit 1; }
            read -ra COMP_WORDS <<<"$LINE"
            [[ $LINE == *' ' ]] && COMP_WORDS+=("")
            COMP_WORDS[0]=$COMMAND
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            COMP_LINE=$LINE
            COMP_POINT=${#LINE}
            "$function" "$COMMAND" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
            printf '%s\n' "${COMPREPLY[@]}"
            """;
        var r = Tool.Bash(script, new Dictionary<string, string> { ["LINE"] = line, ["COMMAND"] = command });
        Assert.True(r.Exit == 0, $"completing '{line}': {r}");
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void Script_is_valid_bash() => Assert.Equal(0, Tool.Run("bash", "-n", Script).Exit);

    [Theory]
    [InlineData("vmmctl vm st", "start stop")]
    [InlineData("vmmctl ", "host vm watch events pdu key")]
    [InlineData("vmmctl events --", "--host --vm --since --after --follow --socket --json --help")]
    [InlineData("vmmctl events --since 1", "10m 1h 1d")]
    [InlineData("vmmctl host ", "list forget drain undrain")]
    [InlineData("vmmctl vm snapshot ", "create list revert delete")]
    [InlineData("vmmctl --socket /run/x.sock vm cpu ", "add remove set")]
    [InlineData("vmmctl vm stop web1 --f", "--force")]
    [InlineData("vmmctl vm create --m", "--max-vcpus --memory --max-memory")]
    [InlineData("vmmctl vm nic add web1 --model e1", "e1000 e1000e")]
    [InlineData("vmmctl pdu listen 7400 --", "--verify --key-file --host --count --help")]
    [InlineData("vmmctl key ", "generate derive")]
    public void Completes_commands_and_options(string line, string expected) =>
        Assert.Equal(expected.Split(' '), Complete(line));

    /// <summary>Every command vmmctl's help texts list is completed, word by word, from its first letters.</summary>
    [Fact]
    public void Completes_every_command_vmmctl_lists()
    {
        var commands = new List<string[]>();
        foreach (var group in new[] { "vm", "host" })
            foreach (var line in Tool.Check(Vmmctl, group, "--help").Split('\n').Where(l => l.StartsWith("  vmmctl ", StringComparison.Ordinal)))
                commands.Add(line.Trim().Split(' ').Skip(1).TakeWhile(w => w.All(c => c is >= 'a' and <= 'z')).ToArray());
        Assert.True(commands.Count >= 20, $"only {commands.Count} commands found in vmmctl's help");
        foreach (var top in new[] { "watch", "events", "pdu", "key" }) commands.Add([top]);

        var missing = new List<string>();
        foreach (var words in commands)
            for (int i = 0; i < words.Length; i++)
            {
                var line = $"vmmctl {string.Join(' ', words[..i])}{(i > 0 ? " " : "")}{words[i][..2]}";
                if (!Complete(line).Contains(words[i])) missing.Add($"'{line}' does not offer {words[i]}");
            }
        Assert.True(missing.Count == 0, string.Join('\n', missing.Distinct()));
    }

    /// <summary>
    /// VM names come from `vmmctl --json vm list`, asked of the vmmctl being completed, through the
    /// --socket given on the line: here a stand-in that prints a document and records how it was called.
    /// </summary>
    [Fact]
    public void Completes_vm_names_from_the_controller()
    {
        var dir = Directory.CreateTempSubdirectory("vmm-completion-").FullName;
        try
        {
            var fake = Path.Combine(dir, "vmmctl");
            File.WriteAllText(fake, $$"""
                #!/bin/sh
                echo "$*" >> '{{dir}}/calls'
                cat <<'JSON'
                {
                  "vms": [
                    {
                      "name": "web1",
                      "uuid": "0b9e0c3a-7c52-4f4e-9d0e-2b1f6a9c1d20",
                      "disks": [
                        {
                          "target": "vda"
                        }
                      ]
                    },
                    {
                      "name": "web2"
                    },
                    {
                      "name": "db1"
                    }
                  ]
                }
                JSON
                """);
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            Assert.Equal(["web1", "web2"], Complete("vmmctl --socket /run/test.sock vm start w", fake));
            Assert.Equal(["--json --socket /run/test.sock vm list"], File.ReadAllLines(Path.Combine(dir, "calls")));
            Assert.Equal(["db1", "web1", "web2"], Complete("vmmctl vm snapshot list ", fake).Order());
            // vm create names a new VM: nothing to offer, nothing to ask.
            Assert.Empty(Complete("vmmctl vm create --name ", fake));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

namespace Vmm.Ctl.Tests;

/// <summary>Help for every controller command, and the exit codes documented where an operator looks.</summary>
public sealed class AdminHelpTests
{
    public static TheoryData<string, string> Commands() => new()
    {
        { "host list", "vmmctl host list" },
        { "vm list", "vmmctl vm list [--host H]" },
        { "vm show", "vmmctl vm show VM" },
        { "vm create", "vmmctl vm create --name N" },
        { "vm start", "vmmctl vm start VM" },
        { "vm stop", "vmmctl vm stop VM [--force] [--timeout DURATION]" },
        { "vm restart", "vmmctl vm restart VM" },
        { "vm pause", "vmmctl vm pause VM" },
        { "vm resume", "vmmctl vm resume VM" },
        { "vm delete", "vmmctl vm delete VM" },
        { "vm remove", "vmmctl vm remove VM" },
        { "vm migrate", "vmmctl vm migrate VM --to HOST" },
        { "vm ha", "vmmctl vm ha VM on|off" },
        { "vm nic add", "vmmctl vm nic add VM" },
        { "vm nic remove", "vmmctl vm nic remove VM --mac MAC" },
        { "vm memory set", "vmmctl vm memory set VM SIZE" },
        { "vm cpu add", "vmmctl vm cpu add VM [N]" },
        { "vm cpu remove", "vmmctl vm cpu remove VM [N]" },
        { "vm cpu set", "vmmctl vm cpu set VM N" },
        { "vm disk add", "vmmctl vm disk add VM" },
        { "vm disk resize", "vmmctl vm disk resize VM TARGET SIZE" },
        { "vm disk remove", "vmmctl vm disk remove VM TARGET" },
        { "vm snapshot create", "vmmctl vm snapshot create VM NAME" },
        { "vm snapshot list", "vmmctl vm snapshot list VM" },
        { "vm snapshot revert", "vmmctl vm snapshot revert VM NAME" },
        { "vm snapshot delete", "vmmctl vm snapshot delete VM NAME" },
        { "watch", "vmmctl watch [--host H]" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_has_help(string command, string usage)
    {
        var r = Vmmctl.Run([.. command.Split(' '), "--help"]);
        Assert.Equal(0, r.Exit);
        Assert.StartsWith("Usage: " + usage, r.Text);
        Assert.Contains("--socket PATH", r.Text);
    }

    [Theory]
    [InlineData("vm")]
    [InlineData("host")]
    public void A_group_alone_lists_its_commands_and_exits_2(string group)
    {
        var r = Vmmctl.Run(group);
        Assert.Equal(2, r.Exit);
        Assert.Contains($"vmmctl {group} list", r.Text);
        Assert.True(Vmmctl.Run(group, "--help").Exit == 0);
    }

    [Fact]
    public void Help_documents_every_exit_code()
    {
        var text = Vmmctl.Run("--help").Text;
        foreach (var code in new[] { "0 success", "1 failure", "2 usage error", "3 unsupported", "4 unknown request", "5 busy", "6 timeout",
                     "7 not found", "8 unavailable", "9 the controller is unreachable" })
            Assert.Contains(code, text);
        Assert.Contains("VMM_SOCKET", text);
    }
}

// vmmctl: the operator's command line. Commands live under Commands/, one file a command group.
using Vmm.Ctl;
using Vmm.Ctl.Commands;

return Cli.Run(args, static (cmd, rest) => cmd switch
{
    "pdu" => PduCommand.Run(rest),
    "key" => KeyCommand.Run(rest),
    _ => Cli.UsageError($"unknown command '{cmd}'; see 'vmmctl --help'"),
});

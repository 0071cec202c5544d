// vmmctl: the operator's command line. Commands live under Commands/, one file a command group; the
// conversation with vmm-controller under Admin/; tables, lines and JSON under Output/.
using Vmm.Ctl;
using Vmm.Ctl.Commands;

return Cli.Run(args, static (cmd, rest) => cmd switch
{
    "host" => HostCommand.Run(rest),
    "vm" => VmCommand.Run(rest),
    "watch" => WatchCommand.Run(rest),
    "events" => EventsCommand.Run(rest),
    "pdu" => PduCommand.Run(rest),
    "key" => KeyCommand.Run(rest),
    _ => Cli.UsageError($"unknown command '{cmd}'; see 'vmmctl --help'"),
});

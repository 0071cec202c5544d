# bash completion for vmmctl                                   -*- shell-script -*-
#
# Completes vmmctl's commands and subcommands, each command's options, files for --socket,
# --key-file and key generate, and the names of VMs and hosts, which it asks the controller for
# (vmmctl --json vm list / host list, through the --socket given on the line, if any) with a 2 s
# limit: a controller that is down or out of reach only means no names are offered.
# The command tree is vmmctl's own (vmmctl --help, vmmctl vm --help, ...); Vmm.Packaging.Tests checks
# that every command those list is completed here.

# The names a vmmctl listing holds ("name": "..." in its JSON document), for VMs or hosts; the vmmctl
# asked is the one being completed (vmmctl on PATH, or out/vmmctl).
_vmmctl_names()
{
    local vmmctl=$1 what=$2 socket=$3
    local -a args=(--json)
    [[ -n $socket ]] && args+=(--socket "$socket")
    timeout 2 "$vmmctl" "${args[@]}" "$what" list 2>/dev/null \
        | sed -n 's/^ *"name": "\([^"\\]*\)",\{0,1\}$/\1/p'
}

_vmmctl()
{
    local cur prev words cword
    _init_completion || return

    # The words of the command (vm, vm nic add, ...), the operands after them, and the --socket value.
    local -a command=() operands=()
    local socket="" i word
    for ((i = 1; i < cword; i++)); do
        word=${words[i]}
        case $word in
            --socket) socket=${words[i + 1]-}; ((i++)) ;;
            --socket=*) socket=${word#--socket=} ;;
            --host | --to | --timeout | --name | --vcpus | --max-vcpus | --memory | --max-memory | \
                --disk | --nic | --network | --bridge | --model | --mac | --bus | --target | \
                --key-file | --max-length | --count | --parallel | --vm | --since | --after) ((i++)) ;;
            -*) ;;
            *) operands+=("$word") ;;
        esac
    done

    # Options that take a value: complete the value.
    case $prev in
        --socket)
            _filedir sock
            [[ ${#COMPREPLY[@]} -eq 0 ]] && _filedir
            return
            ;;
        --key-file)
            _filedir
            return
            ;;
        --host | --to)
            mapfile -t COMPREPLY < <(compgen -W "$(_vmmctl_names "${words[0]}" host "$socket")" -- "$cur")
            return
            ;;
        --vm)
            mapfile -t COMPREPLY < <(compgen -W "$(_vmmctl_names "${words[0]}" vm "$socket")" -- "$cur")
            return
            ;;
        --since)
            mapfile -t COMPREPLY < <(compgen -W "30s 10m 1h 1d" -- "$cur")
            return
            ;;
        --after)
            return
            ;;
        --model)
            mapfile -t COMPREPLY < <(compgen -W "virtio e1000 e1000e rtl8139" -- "$cur")
            return
            ;;
        --bus)
            mapfile -t COMPREPLY < <(compgen -W "virtio scsi sata ide usb" -- "$cur")
            return
            ;;
        --timeout | --name | --vcpus | --max-vcpus | --memory | --max-memory | --disk | --nic | \
            --network | --bridge | --mac | --target | --max-length | --count | --parallel)
            return
            ;;
    esac

    # How many leading operands name the command: the group, then its subcommand words.
    local group=${operands[0]-} depth=0 words_for="" options=""
    case $group in
        "") depth=0 ;;
        watch | events) depth=1 ;;
        host | pdu | key) depth=2 ;;
        vm)
            case ${operands[1]-} in
                nic | memory | cpu | disk | snapshot) depth=3 ;;
                *) depth=2 ;;
            esac
            ;;
        *) depth=1 ;;
    esac

    local position=${#operands[@]}
    if ((position < depth || position == 0)); then
        case "$position:$group:${operands[1]-}" in
            0:*) words_for="host vm watch events pdu key" ;;
            1:host:*) words_for="list forget drain undrain" ;;
            1:vm:*) words_for="list show top start stop restart pause resume remove delete migrate create ha nic memory cpu disk snapshot" ;;
            1:pdu:*) words_for="encode decode listen" ;;
            1:key:*) words_for="generate derive" ;;
            2:vm:nic) words_for="add remove" ;;
            2:vm:memory) words_for="set" ;;
            2:vm:cpu) words_for="add remove set" ;;
            2:vm:disk) words_for="add resize remove" ;;
            2:vm:snapshot) words_for="create list revert delete" ;;
        esac
    fi

    # Each command's options (vmmctl COMMAND --help), and those every controller command takes.
    local shared="--socket --json --help"
    case "$group ${operands[1]-} ${operands[2]-}" in
        "  ") options="--socket --json --help --version" ;;
        "host list "*) options=$shared ;;
        "host drain "*) options="--parallel $shared" ;;
        "vm list "*) options="--host $shared" ;;
        "vm top "*) options="--host --sort --interval --once --count $shared" ;;
        "vm stop "*) options="--force --timeout --request-id $shared" ;;
        "vm remove "* | "vm delete "*) options="--force --request-id $shared" ;;
        "vm migrate "*) options="--to --force --request-id $shared" ;;
        "vm create "*) options="--name --vcpus --max-vcpus --memory --max-memory --disk --nic --host --ha --force $shared" ;;
        "vm ha "*) options="--host --request-id $shared" ;;
        "vm nic add") options="--network --bridge --model --mac $shared" ;;
        "vm nic remove") options="--mac $shared" ;;
        "vm disk add") options="--bus --target $shared" ;;
        "watch "*) options="--host $shared" ;;
        "events "*) options="--host --vm --since --after --follow $shared" ;;
        "pdu encode "*) options="--key-file --host --hex --no-check --help" ;;
        "pdu decode "*) options="--stream --verify --key-file --host --max-length --help" ;;
        "pdu listen "*) options="--verify --key-file --host --count --help" ;;
        "key generate "*) options="--force --help" ;;
        "key derive "*) options="--key-file --force --help" ;;
        "vm "* | "host "*) options=$shared ;;
        *) options="--help" ;;
    esac

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$options" -- "$cur")
        return
    fi
    if [[ -n $words_for ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$words_for" -- "$cur")
        return
    fi

    # The first operand after a vm command is a VM (vm list and vm create take none); host forget, drain and
    # undrain take a host; key generate takes a file.
    if [[ $group == vm && ${operands[1]-} != list && ${operands[1]-} != create ]] && ((position == depth)); then
        mapfile -t COMPREPLY < <(compgen -W "$(_vmmctl_names "${words[0]}" vm "$socket")" -- "$cur")
    elif [[ $group == host && ${operands[1]-} =~ ^(forget|drain|undrain)$ ]] && ((position == depth)); then
        mapfile -t COMPREPLY < <(compgen -W "$(_vmmctl_names "${words[0]}" host "$socket")" -- "$cur")
    elif [[ $group == key && ${operands[1]-} == generate ]] && ((position == depth)); then
        _filedir
    fi
} &&
    complete -F _vmmctl vmmctl

# ex: filetype=sh

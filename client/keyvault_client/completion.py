"""`keyvault completion bash|zsh|fish`: a completion script read off the argparse parser itself,
so it always matches the commands and options this version has (no extra dependency).
"""

from __future__ import annotations

import argparse
import sys

BASH = """\
# keyvault completion for bash: eval "$(keyvault completion bash)"
_keyvault() {{
    local word="${{COMP_WORDS[COMP_CWORD]}}" command="${{COMP_WORDS[1]}}"
    if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "{commands} --help --version" -- "$word"))
        return
    fi
    case "$command" in
{cases}
    esac
}}
complete -o default -F _keyvault keyvault
"""
BASH_CASE = '        {name}) COMPREPLY=($(compgen -W "{words}" -- "$word")) ;;'

ZSH = """\
#compdef keyvault
# keyvault completion for zsh: eval "$(keyvault completion zsh)"
_keyvault() {{
    if (( CURRENT == 2 )); then
        compadd -- {commands} --help --version
        return
    fi
    case "$words[2]" in
{cases}
    esac
    _files
}}
compdef _keyvault keyvault
"""
ZSH_CASE = "        {name}) compadd -- {words} ;;"

FISH_HEAD = """\
# keyvault completion for fish: keyvault completion fish | source
"""
FISH_COMMAND = "complete -c keyvault -n '__fish_use_subcommand' -a {name} -d {help}"
FISH_OPTION = "complete -c keyvault -n '__fish_seen_subcommand_from {name}' -l {option}"
FISH_CHOICE = "complete -c keyvault -n '__fish_seen_subcommand_from {name}' -a '{choices}'"


def print_script(args: argparse.Namespace) -> int:
    from .cli import build_parser

    sys.stdout.write(script(build_parser(), args.shell))
    return 0


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    commands = commands_of(parser)
    if shell == "fish":
        return _fish(commands)
    template, case = (BASH, BASH_CASE) if shell == "bash" else (ZSH, ZSH_CASE)
    cases = "\n".join(
        case.format(name=name, words=" ".join(words)) for name, (_, words) in commands.items()
    )
    return template.format(commands=" ".join(commands), cases=cases)


def commands_of(parser: argparse.ArgumentParser) -> dict[str, tuple[str, list[str]]]:
    """Command name -> (its help, the options and choices it accepts)."""
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help or "" for choice in subparsers._choices_actions}
    return {name: (helps.get(name, ""), _words(sub)) for name, sub in subparsers.choices.items()}


def _words(parser: argparse.ArgumentParser) -> list[str]:
    words: list[str] = []
    for action in parser._actions:
        words += [option for option in action.option_strings if option.startswith("--")]
        if not action.option_strings and action.choices:
            words += [str(choice) for choice in action.choices]
    return words


def _fish(commands: dict[str, tuple[str, list[str]]]) -> str:
    import shlex

    lines = [FISH_HEAD.rstrip("\n")]
    for name, (help, words) in commands.items():
        lines.append(FISH_COMMAND.format(name=name, help=shlex.quote(help)))
        options = [word[2:] for word in words if word.startswith("--")]
        lines += [FISH_OPTION.format(name=name, option=option) for option in options]
        choices = [word for word in words if not word.startswith("-")]
        if choices:
            lines.append(FISH_CHOICE.format(name=name, choices=" ".join(choices)))
    return "\n".join(lines) + "\n"

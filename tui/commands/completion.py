"""Shell completion scripts (bash, zsh, fish), written from the parser itself so they
never disagree with it."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

__all__ = ["script"]


@dataclass
class _Node:
    """A command and what may follow it: options, sub-commands, fixed choices."""

    options: list[str] = field(default_factory=list)
    children: dict[str, _Node] = field(default_factory=dict)
    choices: list[str] = field(default_factory=list)


def _tree(parser: argparse.ArgumentParser) -> _Node:
    node = _Node()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                node.children[name] = _tree(child)
        elif action.option_strings:
            node.options.extend(o for o in action.option_strings if o.startswith("--"))
        elif action.choices:
            node.choices.extend(str(c) for c in action.choices)
    return node


def _paths(node: _Node, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], _Node]]:
    found = [(prefix, node)]
    for name, child in node.children.items():
        found.extend(_paths(child, (*prefix, name)))
    return found


def _bash(root: _Node) -> str:
    cases = []
    for path, node in _paths(root):
        words = " ".join([*node.children, *node.choices, *node.options])
        cases.append(f'        "{" ".join(path)}") words="{words}" ;;')
    return "\n".join(
        [
            "# bash completion for leap0-tui (leap0-tui completion bash)",
            "_leap0_tui() {",
            '    local cur="${COMP_WORDS[COMP_CWORD]}" path="" word words i',
            "    for ((i = 1; i < COMP_CWORD; i++)); do",
            '        word="${COMP_WORDS[i]}"',
            '        case "$word" in -*) continue ;; esac',
            '        case " $(_leap0_tui_words "$path") " in',
            '            *" $word "*) path="${path:+$path }$word" ;;',
            "        esac",
            "    done",
            '    words="$(_leap0_tui_words "$path")"',
            '    COMPREPLY=($(compgen -W "$words" -- "$cur"))',
            "}",
            "_leap0_tui_words() {",
            '    local words=""',
            '    case "$1" in',
            *cases,
            "    esac",
            '    echo "$words"',
            "}",
            "complete -o default -F _leap0_tui leap0-tui",
        ]
    )


def _fish(root: _Node) -> str:
    lines = ["# fish completion for leap0-tui (leap0-tui completion fish)"]
    lines.append("complete -c leap0-tui -f")
    for path, node in _paths(root):
        if path:
            seen = " && ".join(f"__fish_seen_subcommand_from {p}" for p in path)
            condition = f"{seen}"
        else:
            condition = "__fish_use_subcommand"
        for name in [*node.children, *node.choices]:
            lines.append(f"complete -c leap0-tui -n '{condition}' -a {name}")
        for option in node.options:
            lines.append(f"complete -c leap0-tui -n '{condition}' -l {option[2:]}")
    return "\n".join(lines)


def script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    root = _tree(parser)
    if shell == "fish":
        return _fish(root)
    bash = _bash(root)
    if shell == "zsh":
        return "#compdef leap0-tui\nautoload -U +X bashcompinit && bashcompinit\n" + bash
    return bash

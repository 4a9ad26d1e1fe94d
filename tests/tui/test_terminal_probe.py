"""The terminal probe: answers scripted as real terminals send them, and the mode chosen."""

from __future__ import annotations

import pytest

from tui.terminal_probe import QUERY, TerminalAnswers, choose_mode, parse_answers, query

KITTY_QUERY_OK = "\x1b_Gi=31;OK\x1b\\"
KITTY_QUERY_BAD = "\x1b_Gi=31;EINVAL:Unsupported action\x1b\\"
SYNC = "\x1b[?2026;2$y"

# What each terminal answered to QUERY (XTVERSION, kitty's query, DECRQM 2026, CSI 16 t, DA1).
KITTY_026 = f"\x1bP>|kitty(0.26.5)\x1b\\{KITTY_QUERY_OK}{SYNC}\x1b[6;20;10t\x1b[?62;c"
KITTY_035 = f"\x1bP>|kitty(0.35.2)\x1b\\{KITTY_QUERY_OK}{SYNC}\x1b[6;22;11t\x1b[?62;c"
XTERM_SIXEL = "\x1bP>|XTerm(379)\x1b\\\x1b[6;17;8t\x1b[?63;1;2;4;6;9;15;16;22;28;29c"
XTERM_PLAIN = "\x1bP>|XTerm(379)\x1b\\\x1b[6;17;8t\x1b[?65;1;9c"
MLTERM = "\x1b[?63;1;2;3;4;7;29c"  # no XTVERSION, Sixel in DA1
TMUX = "\x1bP>|tmux 3.3a\x1b\\\x1b[?2026;2$y\x1b[?1;2;4c"  # tmux lists 4 but eats Sixel
WEZTERM = f"\x1bP>|WezTerm 20240203-110809-5046fc22\x1b\\{KITTY_QUERY_OK}{SYNC}\x1b[?65;4;6;18;22c"


def test_the_query_ends_with_da1_which_every_terminal_answers() -> None:
    assert QUERY.startswith("\x1b[>0q")
    assert "a=q" in QUERY
    assert QUERY.endswith("\x1b[c")


def test_kitty_026_has_graphics_but_no_placeholders() -> None:
    answers = parse_answers(KITTY_026, env={})
    assert (answers.name, answers.version) == ("kitty", (0, 26, 5))
    assert answers.kitty_graphics and answers.synchronized_output and answers.answered
    assert not answers.kitty_placeholders
    assert answers.cell == (10, 20)
    assert choose_mode("auto", answers) == "kitty"


def test_kitty_on_this_machine_reads_shared_memory_and_over_ssh_does_not() -> None:
    asked = query("/leap0-1-ab")
    assert "a=q,t=s,f=24,S=3;L2xlYXAwLTEtYWI=\x1b\\" in asked  # the name, in base64
    assert asked.index("t=s") < asked.index("\x1b[c")  # before DA1, which ends the wait
    assert "t=s" not in QUERY
    here = parse_answers(KITTY_026.replace(SYNC, f"\x1b_Gi=32;OK\x1b\\{SYNC}"), env={})
    assert here.kitty_graphics and here.kitty_shared_memory
    assert "shared memory" in here.describe()
    remote = "\x1b_Gi=32;ENOENT:Failed to open shared memory\x1b\\"
    far = parse_answers(KITTY_026.replace(SYNC, remote + SYNC), env={})
    assert far.kitty_graphics and not far.kitty_shared_memory
    assert not parse_answers(KITTY_026, env={}).kitty_shared_memory  # not asked


def test_kitty_035_has_placeholders() -> None:
    answers = parse_answers(KITTY_035, env={})
    assert answers.kitty_placeholders
    assert answers.cell == (11, 22)
    assert choose_mode("auto", answers) == "kitty"


def test_xterm_with_sixel_draws_sixel() -> None:
    answers = parse_answers(XTERM_SIXEL, env={})
    assert (answers.name, answers.version) == ("xterm", (379,))
    assert answers.sixel and not answers.kitty_graphics and not answers.synchronized_output
    assert choose_mode("auto", answers) == "sixel"


def test_xterm_without_sixel_draws_symbols_or_halfcells_without_chafa() -> None:
    answers = parse_answers(XTERM_PLAIN, env={})
    assert not answers.sixel
    assert choose_mode("auto", answers) == "symbols"
    assert choose_mode("auto", answers, symbols_available=False) == "halfcell"


def test_a_terminal_without_xtversion_is_judged_by_da1() -> None:
    answers = parse_answers(MLTERM, env={})
    assert answers.name == "" and answers.sixel
    assert choose_mode("auto", answers) == "sixel"


def test_tmux_never_gets_graphics_even_when_its_da1_lists_sixel() -> None:
    answers = parse_answers(TMUX, env={})
    assert answers.tmux and answers.sixel
    assert choose_mode("auto", answers) == "symbols"
    # $TMUX alone (an outer terminal answered through tmux) says the same.
    inside = parse_answers(XTERM_SIXEL, env={"TMUX": "/tmp/tmux-0/default,1,0"})
    assert choose_mode("auto", inside) == "symbols"


def test_a_failed_kitty_query_is_no_kitty_graphics() -> None:
    answers = parse_answers(f"{KITTY_QUERY_BAD}\x1b[?62;c", env={})
    assert not answers.kitty_graphics
    assert choose_mode("auto", answers) == "symbols"


def test_wezterm_answers_in_any_order() -> None:
    answers = parse_answers(WEZTERM, env={})
    assert answers.name == "wezterm" and answers.kitty_graphics and answers.sixel
    assert choose_mode("auto", answers) == "kitty"


def test_no_answer_at_all_draws_symbols() -> None:
    answers = parse_answers("", env={})
    assert answers == TerminalAnswers()
    assert answers.describe() == "the terminal did not answer"
    assert choose_mode("auto", answers) == "symbols"


@pytest.mark.parametrize("mode", ["kitty", "sixel", "halfcell", "symbols"])
def test_an_explicit_mode_is_the_users_word(mode: str) -> None:
    assert choose_mode(mode, parse_answers(XTERM_PLAIN, env={})) == mode


def test_describe_names_the_terminal_and_what_it_can_do() -> None:
    assert parse_answers(KITTY_026, env={}).describe() == (
        "kitty 0.26.5: kitty graphics, synchronized output"
    )
    assert parse_answers(XTERM_PLAIN, env={}).describe() == "xterm 379: text only"


def test_xterm_says_the_largest_sixel_it_shows_and_the_preview_keeps_within_it() -> None:
    from textual.geometry import Size

    from tui import graphics
    from tui.widgets.screen_preview import sixel_limited

    answers = parse_answers(XTERM_SIXEL + "\x1b[?2;0;1000;1000S", env={})
    assert answers.sixel_max == (1000, 1000)
    assert parse_answers(XTERM_SIXEL, env={}).sixel_max is None  # did not say: no limit
    assert parse_answers("\x1b[?2;3;0S" + XTERM_SIXEL, env={}).sixel_max is None  # failed

    saved = graphics._answers
    graphics._answers = answers
    try:
        # A maximised xterm: 180 columns of 10 px would be 1800 px, over the 1000 it shows.
        assert sixel_limited(Size(180, 50), "sixel", (10, 20)) == Size(100, 50)
        assert sixel_limited(Size(80, 30), "sixel", (10, 20)) == Size(80, 30)
        assert sixel_limited(Size(180, 50), "kitty", (10, 20)) == Size(180, 50)
    finally:
        graphics._answers = saved

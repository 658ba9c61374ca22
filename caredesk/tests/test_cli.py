"""Every text command answers --help (argparse formats each help string only then, so a stray
`%` in one surfaces only when a user asks for help)."""

from __future__ import annotations

import pytest

from caredesk.cli import main


@pytest.mark.parametrize(
    "argv",
    [
        ["eval", "coach", "--help"],
        ["eval", "coach", "--train", "--help"],
        ["eval", "emotion", "--help"],
        ["analyze", "--help"],
        ["coach", "--help"],
    ],
    ids=" ".join,
)
def test_help_is_printed(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    assert "usage:" in capsys.readouterr().out

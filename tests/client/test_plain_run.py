"""`keyvault run -- COMMAND`, read without argparse, means what the full parser says it means."""

from __future__ import annotations

import pytest

from keyvault_client import cli, plain_run

PLAIN = [
    ["run", "--", "true"],
    ["run", "--", "./serve", "--port", "8000", "--"],
    ["run", "--no-mask", "--", "true"],
    ["run", "--all", "--preserve-env", "--watch", "--", "sh", "-c", "echo hi"],
    ["run", "--watch", "--watch", "--", "--help"],
]
NOT_PLAIN = [
    ["run", "--env", "OPENAI_API_KEY=openai_api_key", "--", "true"],
    ["run", "--credential", "azure", "--", "true"],
    ["run", "--watch-interval", "5", "--", "true"],
    ["run", "--command", "a && b"],
    ["run", "--no-m", "--", "true"],  # an abbreviation: argparse's to accept
    ["run", "--nomask", "--", "true"],  # a typo: argparse's to refuse
    ["run", "--help"],
    ["run", "--"],
    ["run", "true"],
    ["get", "--", "run"],
]


@pytest.mark.parametrize("argv", PLAIN, ids=" ".join)
def test_the_usual_run_line_parses_as_the_full_parser_parses_it(argv: list[str]) -> None:
    fast = plain_run.parse(argv)
    assert fast is not None
    assert vars(fast) == vars(cli.build_parser(argv).parse_args(argv))


@pytest.mark.parametrize("argv", NOT_PLAIN, ids=" ".join)
def test_any_other_line_is_left_to_the_full_parser(argv: list[str]) -> None:
    assert plain_run.parse(argv) is None


def test_the_full_parser_still_refuses_a_typo(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["run", "--nomask", "--", "true"])
    assert exited.value.code == cli.EXIT_USAGE
    assert "unrecognized arguments: --nomask" in capsys.readouterr().err

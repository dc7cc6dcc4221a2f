"""The failed-issuance backoff flags of `certpilot run`, under their names and cert-manager's
(--certificate-request-minimum/maximum-backoff-duration). Refusals happen before any daemon starts."""

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from certpilot.cli.errors import CLIError
from certpilot.cli.main import app
from certpilot.cli.run import issuance_backoff


def test_defaults_are_cert_managers_one_hour_doubling_to_32_hours() -> None:
    assert issuance_backoff("1h", "32h") == (timedelta(hours=1), timedelta(hours=32))


@pytest.mark.parametrize(
    ("initial", "maximum", "named"),
    [
        ("1h", "30m", "--issuance-backoff-max (30m) must be at least --issuance-backoff-initial (1h)"),
        ("1h", "-5m", "--issuance-backoff-max: must be positive"),
        ("0s", "1h", "--issuance-backoff-initial: must be positive"),
        ("1h", "soon", "--issuance-backoff-max: invalid duration"),
    ],
)
def test_bad_backoff_is_refused_naming_the_flag(initial: str, maximum: str, named: str) -> None:
    with pytest.raises(CLIError, match=named.replace("(", r"\(").replace(")", r"\)")):
        issuance_backoff(initial, maximum)


def test_cert_managers_flag_names_reach_the_same_options() -> None:
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--certificate-request-minimum-backoff-duration",
            "2h",
            "--certificate-request-maximum-backoff-duration",
            "1h",
        ],
    )
    # The CLIError reaches certpilot's entry point, which prints it; here it is the exception.
    assert isinstance(result.exception, CLIError)
    assert "--issuance-backoff-max (1h) must be at least --issuance-backoff-initial (2h)" in str(
        result.exception
    )


def test_help_lists_cert_managers_flag_name() -> None:
    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "--certificate-request-maximum-backoff-duration" in result.output

"""Careless command lines, generated: each ends in an answer, a usage error (2) or the project's
one-line error with its exit code, never an internal error (70) or a traceback."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow

VALUES = st.one_of(st.sampled_from(["2023-12-25", "05/06/2023", "25/12/2023", "0", "-1", "inf", "nan", "1e309", "",
                                    " ", "MLI", "mli,xx", "../..", "/", "local:0", "tcp://x", "tls://a:1", "four",
                                    "Ségou", "13.4,-6.2", "999,999", "\u202e", "%s", "{}"]),
                   st.text(max_size=8))
COMMANDS = {
    "score": ["--week", "--horizon-weeks", "--units", "--countries", "--as-of", "--model"],
    "route": ["--week", "--from", "--to", "--via", "--buffer-km", "--alternatives"],
    "sites": ["--week", "--radius-km", "--top", "--sites"],
    "verify": ["--out"],
    "backtest": ["--spec", "--as-of", "--data-end", "--cluster"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_careless_command_line_is_never_an_internal_error(command, data, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from sahelrisk.cli import app
    from sahelrisk.errors import SahelriskError
    monkeypatch.chdir(tmp_path)                              # no data, no model store here
    monkeypatch.setenv("SAHELRISK_DATA", str(tmp_path / "no-data"))
    options = data.draw(st.lists(st.sampled_from(COMMANDS[command]), max_size=3, unique=True))
    argv = [command, *[part for option in options for part in (option, data.draw(VALUES))]]
    result = CliRunner().invoke(app, argv)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert isinstance(result.exception, SahelriskError), f"{argv}: {type(result.exception).__name__}: {result.exception}"
        assert "\n" not in str(result.exception).strip()

"""The password policy, the login throttle's answer, and the CLI's layers."""
import ast
import json
from pathlib import Path

import pytest

from contracts.errors import InvalidInput
from gateway.api import api
from gateway.auth import TooManyAttempts, check_password_policy
from infra import cli
from infra.config import REPO_ROOT


@pytest.mark.parametrize("username, password, problem", [
    ("wang.wu", "short-1", "at least 10 characters"),
    ("wang.wu", "wang.wu", "at least 10 characters"),
    ("wang.wu", "my-WANG.WU-2026", "must not be or contain the user name"),
    ("consultant1", "consultant1", "must not be or contain the user name"),
    ("zhao", "aaaaaaaaaaaa", "at least 4 different characters"),
])
def test_a_password_against_the_policy_is_refused_naming_the_field(username, password, problem):
    with pytest.raises(InvalidInput) as refused:
        check_password_policy(username, password)
    assert problem in refused.value.details["password"]


def test_a_password_within_the_policy_passes():
    check_password_policy("wang.wu", "sand-table-0931")


def test_too_many_attempts_is_a_429_with_retry_after():
    @api
    def handler(_self, _request):
        raise TooManyAttempts("too many failed logins; try again in 42 s", 42,
                              {"username": ["too many failed logins"]})
    response = handler(None, None)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "42"
    assert json.loads(response.get_data())["error"]["code"] == "too_many_attempts"


def test_create_user_on_the_command_line_keeps_the_password_policy(capsys):
    assert cli.main(["create-user", "wang.wu", "wang.wu-2026", "consultant"]) == 2
    assert "must not be or contain the user name" in capsys.readouterr().err


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_shared_layer_never_imports_the_gateway():
    for path in (REPO_ROOT / "infra").rglob("*.py"):
        gateway = {name for name in _imported_modules(path) if name.split(".")[0] == "gateway"}
        assert not gateway, f"{path.relative_to(REPO_ROOT)} imports {gateway}"


def test_the_gateway_brings_its_own_commands():
    parser_commands = []

    class Commands:
        def add_parser(self, name, **_):
            parser_commands.append(name)
            import argparse
            return argparse.ArgumentParser(prog=name)
    from gateway.commands import register
    register(Commands())
    assert parser_commands == ["create-user", "demo-data"]
    with pytest.raises(SystemExit):  # the shared CLI offers them through the entry point
        cli.main(["create-user", "--help"])

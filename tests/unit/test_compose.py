"""compose.yaml agrees with the Procfile, the Dockerfile and the database owners.

No Docker engine runs where the tests run, so these check the file's structure: the same
commands as the local runner, start-up ordered by health, one database per owner.
"""
import re
import shlex
from pathlib import Path

import pytest
import yaml

from infra.migrations import DATABASE_OWNERS

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRASTRUCTURE = ("rabbitmq", "postgres")
INIT_DIR = "/docker-entrypoint-initdb.d"


def read_procfile() -> dict[str, str]:
    entries = {}
    for line in (REPO_ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            entries[name.strip()] = command.strip()
    return entries


PROCFILE = read_procfile()
APP_SERVICES = sorted(PROCFILE)
FRONT_ENDS = {"console"}  # pages over the gateway's API: no database of their own


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO_ROOT / "compose.yaml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def environment(service: dict) -> dict:
    """A service's environment as a dict, whether written as a mapping or as KEY=VALUE items."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def command_words(command) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_procfile_lists_every_database_owner():
    assert set(PROCFILE) - FRONT_ENDS == set(DATABASE_OWNERS)


def test_compose_spec_has_no_version_key(compose):
    assert "version" not in compose


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_runs_the_procfile_command(services, name):
    assert name in services, f"{name} is in the Procfile but not in compose.yaml"
    assert command_words(services[name]["command"]) == shlex.split(PROCFILE[name])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_builds_the_repo_image(services, name):
    build = services[name]["build"]
    context = build if isinstance(build, str) else build.get("context")
    assert context in (".", "./"), f"{name} builds from {build!r}"
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (REPO_ROOT / dockerfile).is_file()


def test_dockerfile_installs_the_suite_and_drops_root():
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    assert "pip install -r requirements.txt" in dockerfile
    assert re.search(r"pip install .*--no-deps .*\.\s*(\\|&&|$)", dockerfile, re.M)
    assert "PYTHONUNBUFFERED=1" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_waits_for_healthy_infrastructure_and_setup(services, name):
    depends_on = services[name]["depends_on"]
    assert isinstance(depends_on, dict), "conditions need the long depends_on form"
    for infrastructure in INFRASTRUCTURE:
        assert depends_on[infrastructure]["condition"] == "service_healthy"
    assert depends_on["setup"]["condition"] == "service_completed_successfully"


def test_setup_migrates_then_declares_once_infrastructure_is_healthy(services):
    setup = services["setup"]
    script = " ".join(command_words(setup["command"]))
    assert re.search(r"anchang migrate\s*&&\s*anchang declare", script)
    assert setup.get("restart", "no") == "no"
    for infrastructure in INFRASTRUCTURE:
        assert setup["depends_on"][infrastructure]["condition"] == "service_healthy"
    env = environment(setup)
    assert env.get("AMQP_URI")
    for owner in DATABASE_OWNERS:
        assert env.get(f"{owner.upper()}_DATABASE_URL"), f"setup cannot migrate {owner}"


@pytest.mark.parametrize("name", [*INFRASTRUCTURE, *APP_SERVICES])
def test_service_has_a_healthcheck(services, name):
    healthcheck = services[name].get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert not healthcheck.get("disable", False)
    test = healthcheck["test"]
    words = [test] if isinstance(test, str) else test
    assert words and words[0] != "NONE"
    assert len(" ".join(words)) > len("CMD-SHELL ")


def test_infrastructure_healthchecks(services):
    assert "rabbitmq-diagnostics" in str(services["rabbitmq"]["healthcheck"]["test"])
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])


def test_gateway_healthcheck_calls_the_health_route(services):
    assert "/api/v1/health" in str(services["gateway"]["healthcheck"]["test"])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_can_scale(services, name):
    service = services[name]
    assert "container_name" not in service
    if name not in ("gateway", "console"):
        assert not service.get("ports"), f"{name} publishes a port: it could not scale"


def test_only_the_gateway_and_the_console_publish_their_ports(services):
    published = {name: service["ports"] for name, service in services.items()
                 if service.get("ports")}
    assert set(published) == {"gateway", "console"}
    assert [str(port) for port in published["gateway"]] == ["8000:8000"]
    assert environment(services["gateway"])["GATEWAY_ADDRESS"] == "0.0.0.0:8000"
    assert [str(port) for port in published["console"]] == ["8001:8001"]
    assert environment(services["console"])["GATEWAY_URL"] == "http://gateway:8000"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_environment_names_broker_and_own_database(services, name):
    env = environment(services[name])
    assert env.get("AMQP_URI", "").startswith("pyamqp://")
    assert "@rabbitmq:5672" in env["AMQP_URI"]
    if name in FRONT_ENDS:
        assert not any(key.endswith("_DATABASE_URL") for key in env)
        return
    url = env.get(f"{name.upper()}_DATABASE_URL")
    assert url == f"postgresql+psycopg2://postgres@postgres:5432/{name}"
    others = {f"{owner.upper()}_DATABASE_URL" for owner in DATABASE_OWNERS if owner != name}
    assert not others & set(env), f"{name} must not see another service's database"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_service_restarts_unless_stopped(services, name):
    assert services[name].get("restart") == "unless-stopped"


def postgres_init_scripts(postgres: dict) -> list[Path]:
    scripts = []
    for volume in postgres.get("volumes", []):
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume.get("source", ""), volume.get("target", "")
        if target.startswith(INIT_DIR) and source.startswith("."):
            scripts.append(REPO_ROOT / source)
    return scripts


def test_postgres_init_script_creates_every_owner_database(services):
    postgres = services["postgres"]
    assert environment(postgres).get("POSTGRES_HOST_AUTH_METHOD") == "trust"
    scripts = postgres_init_scripts(postgres)
    assert REPO_ROOT / "deploy" / "postgres-init.sql" in [script.resolve() for script in scripts]
    created = set()
    for script in scripts:
        created |= {name.lower() for name in re.findall(
            r'^\s*CREATE\s+DATABASE\s+"?(\w+)"?\s*;', script.read_text(), re.I | re.M)}
    missing = set(DATABASE_OWNERS) - created
    assert not missing, f"the init script creates no database for {sorted(missing)}"

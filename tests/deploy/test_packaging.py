"""The Dockerfile, deploy/compose.yaml and nginx config, checked without a Docker engine.

Every environment variable they give Tokengate is one config/settings.py reads (a typo would
silently fall back to a default), and every command they run exists in this project.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from celery import Celery
from django.core.management import call_command, get_commands

from gateway.models import Channel

ROOT = Path(__file__).resolve().parent.parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()
MAKEFILE = (ROOT / "Makefile").read_text()
# Read by Python or the shell, not by Tokengate.
INTERPRETER_VARIABLES = {"PATH", "PYTHONUNBUFFERED"}
ENV_READERS = {"env", "env_bool", "env_int", "env_list"}


def dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return ""


def settings_variables() -> set[str]:
    """The names config/settings.py looks up: env*("NAME") and os.environ lookups."""
    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            reader = dotted(node.func)
            argument = node.args[0]
            if (reader in ENV_READERS or reader == "os.environ.get") and isinstance(
                argument, ast.Constant
            ):
                names.add(str(argument.value))
        if (
            isinstance(node, ast.Subscript)
            and dotted(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(str(node.slice.value))
    return names


def our_services() -> dict[str, dict[str, Any]]:
    """The compose services that run the Tokengate image (not PostgreSQL, Redis, nginx)."""
    return {
        name: service
        for name, service in COMPOSE["services"].items()
        if service.get("image", "").startswith("tokengate")
    }


def environment_names(service: dict[str, Any]) -> set[str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return {item.split("=", 1)[0] for item in environment}
    return set(environment)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) with continuation lines joined and comments dropped."""
    lines = [line for line in DOCKERFILE.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in joined.splitlines()
        if line.strip()
    ]


def check_command(argv: list[str]) -> None:
    """Fail unless argv runs something that exists in this project."""
    program, *arguments = argv
    if program == "python" and arguments[:1] == ["manage.py"]:
        assert arguments[1] in get_commands(), f"no management command {arguments[1]!r}"
    elif program == "python" and arguments[:1] == ["-m"]:
        assert importlib.util.find_spec(arguments[1]), f"no module {arguments[1]!r}"
    elif program == "python" and arguments[:1] == ["-c"]:
        compile(arguments[1], "<command>", "exec")
    elif program == "uvicorn":
        module, _colon, attribute = arguments[0].partition(":")
        assert callable(getattr(importlib.import_module(module), attribute))
    elif program == "celery":
        app = arguments[arguments.index("-A") + 1]
        assert isinstance(importlib.import_module(app).celery_app, Celery)
        assert arguments[2] in {"worker", "beat", "inspect"}
    elif program == "make":
        assert re.search(rf"^{re.escape(arguments[0])}:", MAKEFILE, re.MULTILINE)
    else:
        pytest.fail(f"unexpected command {argv}")


def test_settings_variables_are_found():
    names = settings_variables()

    assert {"SECRET_KEY", "DATABASE_URL", "METRICS_TOKEN", "LOG_FORMAT"} <= names
    assert "PROMETHEUS_MULTIPROC_DIR" in names


def test_compose_runs_two_web_servers_a_worker_one_beat_and_the_services():
    services = COMPOSE["services"]

    assert {"web1", "web2", "worker", "beat", "postgres", "redis", "nginx"} <= set(services)
    commands = [service.get("command") or [] for service in our_services().values()]
    assert sum("beat" in command for command in commands) == 1
    assert re.findall(r"server (web\d):8000", NGINX) == ["web1", "web2"]
    # Only the proxy is reachable from outside: the web servers trust its forwarded headers.
    assert [name for name, service in services.items() if "ports" in service] == ["nginx"]


def test_every_variable_the_image_and_compose_set_is_read_by_the_settings():
    known = settings_variables() | INTERPRETER_VARIABLES
    set_in_dockerfile = set(re.findall(r"\b([A-Z][A-Z0-9_]*)=", " ".join(
        arguments for instruction, arguments in dockerfile_instructions()
        if instruction in {"ENV", "RUN"}
    )))  # fmt: skip
    assert set_in_dockerfile, "no variables found: the parser is broken"
    assert set_in_dockerfile <= known, set_in_dockerfile - known
    for name, service in our_services().items():
        unknown = environment_names(service) - known
        assert not unknown, f"{name} sets variables no setting reads: {unknown}"


def test_every_command_the_image_and_compose_run_exists():
    instructions = dockerfile_instructions()
    for instruction, arguments in instructions:
        if instruction == "CMD":
            check_command(json.loads(arguments))
        if instruction == "HEALTHCHECK":
            check_command(json.loads(arguments.split(" CMD ", 1)[1]))
        if instruction == "RUN":
            for found in re.findall(r"manage\.py (\S+)", arguments):
                assert found in get_commands(), found
    for service in our_services().values():
        if service.get("command"):
            check_command(service["command"])
        test = (service.get("healthcheck") or {}).get("test")
        if test:
            check_command(test[1:])
    for module in re.findall(r"\$\(PY\) -m (\S+)", MAKEFILE):
        assert importlib.util.find_spec(module), module
    for run in (ROOT / ".ci" / "run").read_text().splitlines():
        if run.startswith("make "):
            check_command(shlex.split(run))


def test_the_image_is_multi_stage_non_root_and_installs_the_locked_dependencies():
    instructions = dockerfile_instructions()
    stages = [arguments for instruction, arguments in instructions if instruction == "FROM"]
    runtime = instructions[[i for i, (name, _) in enumerate(instructions) if name == "FROM"][-1] :]

    assert len(stages) >= 2
    assert "--require-hashes" in DOCKERFILE and "requirements.lock" in DOCKERFILE
    assert "compilemessages" in DOCKERFILE and "collectstatic" in DOCKERFILE
    users = [arguments for instruction, arguments in runtime if instruction == "USER"]
    assert users and users[-1] not in {"root", "0"}
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var"} <= set(ignored)


def test_nginx_limits_bodies_and_streams_the_api_unbuffered_long_enough():
    v1 = NGINX[NGINX.index("location /v1/") :].split("}", 1)[0]
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s", v1)[1])  # type: ignore[index]
    default_read_timeout = Channel._meta.get_field("read_timeout").default

    assert re.search(r"client_max_body_size \d+m;", NGINX)
    assert "proxy_buffering off;" in v1
    assert read_timeout > default_read_timeout
    assert "X-Forwarded-Proto" in NGINX


def test_static_files_collect_with_the_production_storage(settings: Any, tmp_path: Path):
    # The manifest storage refuses a file that names a missing one (a vendored script's
    # source map, say); `make serve` and the image run collectstatic with it.
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"},
    }

    call_command("collectstatic", "--noinput", verbosity=0)

    assert (tmp_path / "staticfiles.json").exists()

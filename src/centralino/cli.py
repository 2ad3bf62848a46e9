"""The ``centralino`` command: run a node, check and apply configuration, manage users and tokens.

Typer builds the commands and their ``--help`` from the signatures below; rich prints
tables and colours on a terminal and plain text in pipes. Every command that touches
the database takes ``--data-dir`` (``CENTRALINO_DATA_DIR``) and honours
``CENTRALINO_DATABASE_URL``, and migrates the database first, so the order in which
an operator runs them does not matter.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import select

from centralino import __version__, config, logs
from centralino.api.security import new_token
from centralino.app import DATA_DIR_ENV, Settings, apply_file, open_database, run
from centralino.core.errors import ConfigError, Conflict, Problem
from centralino.store.db import Database
from centralino.store.export import export_config
from centralino.store.models import ApiToken, Tenant, User
from centralino.store.passwords import hash_password

__all__ = ["app"]

app = typer.Typer(
    name="centralino",
    help="Centralino: an open-source contact center (SIP, IVR, ACD, call records, agent desktop).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Check, apply and export the configuration file.", no_args_is_help=True)
user_app = typer.Typer(
    help="Manage web users (people logging in to the desktop, wallboard and API).", no_args_is_help=True
)
token_app = typer.Typer(help="Manage API tokens for scripts and integrations.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(db_app, name="db")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DataDir = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        envvar=DATA_DIR_ENV,
        help="Directory for the SQLite database, the session key and recordings.",
        file_okay=False,
    ),
]
LogLevel = Annotated[
    str,
    typer.Option("--log-level", envvar="CENTRALINO_LOG_LEVEL", help="debug, info, warning or error."),
]
ROLES = ("admin", "supervisor", "agent")
MIN_PASSWORD = 8


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", markup=True)
    return typer.Exit(code)


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        # Plain text: the lines are meant for editors and grep (file:line:col: message).
        err.print(str(problem), markup=False, style="yellow" if problem.severity == "warning" else "red")


def _database(data_dir: Path) -> Database:
    logs.configure("warning")
    return open_database(data_dir)


def _password(given: str | None, prompt: str) -> str:
    password = given if given is not None else typer.prompt(prompt, hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise _fail(f"the password needs at least {MIN_PASSWORD} characters")
    return password


@app.command()
def serve(
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Configuration file (YAML). Without it the demo center runs.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    data_dir: DataDir = Path("data"),
    bind: Annotated[str, typer.Option(help="Address to listen on (HTTP and SIP).")] = "0.0.0.0",
    sip_port: Annotated[
        int, typer.Option(help="SIP port (UDP and TCP); 0 picks a free one (logged).", min=0, max=65535)
    ] = 5060,
    rtp_ports: Annotated[
        str, typer.Option(help="RTP port range, LOW-HIGH (RTP on even ports, RTCP on the next).")
    ] = "20000-20999",
    public_address: Annotated[
        str | None, typer.Option(help="Media address written into SDP (default: --bind, else the host's).")
    ] = None,
    http_port: Annotated[
        int, typer.Option(help="HTTP port: API, web pages, /metrics.", min=1, max=65535)
    ] = 8080,
    log_level: LogLevel = "info",
) -> None:
    """Run a Centralino node: migrate the database, apply the configuration, serve until SIGTERM."""
    try:
        logs.configure(log_level)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    settings = Settings(
        data_dir=data_dir,
        config_file=config_file,
        bind=bind,
        sip_port=sip_port,
        rtp_ports=_port_range(rtp_ports),
        public_address=public_address,
        http_port=http_port,
        log_level=log_level,
    )
    try:
        run(settings)
    except ConfigError as exc:
        _print_problems(exc.problems)
        raise _fail(f"{config_file}: the configuration has errors; nothing was started") from exc
    except Conflict as exc:
        raise _fail(str(exc)) from exc


def _port_range(text: str) -> tuple[int, int]:
    low, sep, high = text.partition("-")
    try:
        first, last = int(low), int(high)
    except ValueError:
        first = last = -1
    if not sep or not 1024 <= first < last <= 65535 or last - first < 3:
        raise _fail(f"--rtp-ports {text!r}: give LOW-HIGH within 1024-65535, e.g. 20000-20999")
    return first, last


@config_app.command("check")
def config_check(
    file: Annotated[Path, typer.Argument(help="The configuration file to check.")],
) -> None:
    """Print every problem as file:line:col: message; exit status 1 if there are errors."""
    problems = config.check(file)
    _print_problems(problems)
    errors = [p for p in problems if p.severity != "warning"]
    if errors:
        err.print(f"{file}: {len(errors)} error(s), {len(problems) - len(errors)} warning(s)")
        raise typer.Exit(1)
    out.print(f"{file}: OK" + (f" ({len(problems)} warning(s))" if problems else ""))


@config_app.command("apply")
def config_apply(
    file: Annotated[Path, typer.Argument(help="The configuration file to apply.")],
    data_dir: DataDir = Path("data"),
) -> None:
    """Make the database match FILE (all or nothing); applying the same file twice changes nothing."""
    db = _database(data_dir)
    try:
        summary = apply_file(db, file)
    except ConfigError as exc:
        _print_problems(exc.problems)
        raise _fail(f"{file}: not applied") from exc
    except Conflict as exc:
        raise _fail(str(exc)) from exc
    finally:
        db.dispose()
    for change in summary.changes:
        out.print(f"  {change}")
    out.print(f"{file}: {summary}")


@config_app.command("export")
def config_export(
    data_dir: DataDir = Path("data"),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Write the configuration held in the database as YAML (secrets appear only as hashes)."""
    db = _database(data_dir)
    try:
        text = config.dump(export_config(db))
    finally:
        db.dispose()
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"wrote {output}")


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Login name, unique in the installation.")],
    role: Annotated[str, typer.Option(help="admin, supervisor or agent.")] = "agent",
    tenant: Annotated[
        str | None, typer.Option(help="Tenant name. Omit it (with --role admin) for an installation admin.")
    ] = None,
    password: Annotated[str | None, typer.Option(help="The password; prompted for when omitted.")] = None,
    display_name: Annotated[str | None, typer.Option(help="Name shown in the web pages.")] = None,
    data_dir: DataDir = Path("data"),
) -> None:
    """Create a web user."""
    if role not in ROLES:
        raise _fail(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if tenant is None and role != "admin":
        raise _fail("only admins can be outside a tenant; give --tenant")
    db = _database(data_dir)
    try:
        with db.session() as session:
            tenant_id = None
            if tenant is not None:
                tenant_id = session.scalar(select(Tenant.id).where(Tenant.name == tenant))
                if tenant_id is None:
                    raise _fail(f"no tenant {tenant!r}; tenants come from the configuration file")
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                raise _fail(f"user {username!r} exists; use 'centralino user passwd' to change the password")
            secret = _password(password, f"Password for {username}")
            session.add(
                User(
                    username=username,
                    role=role,
                    tenant_id=tenant_id,
                    display_name=display_name,
                    password_hash=hash_password(secret),
                    active=True,
                    from_config=False,
                )
            )
    finally:
        db.dispose()
    where = f"tenant {tenant}" if tenant else "the installation"
    out.print(f"created {role} {username} in {where}")


@user_app.command("passwd")
def user_passwd(
    username: Annotated[str, typer.Argument(help="The user whose password changes.")],
    password: Annotated[str | None, typer.Option(help="The new password; prompted for when omitted.")] = None,
    data_dir: DataDir = Path("data"),
) -> None:
    """Set a user's password (ends the user's browser sessions)."""
    db = _database(data_dir)
    try:
        with db.session() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise _fail(f"no user {username!r}")
            user.password_hash = hash_password(_password(password, f"New password for {username}"))
    finally:
        db.dispose()
    out.print(f"password of {username} changed")


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 'crm-sync'.")],
    expires_days: Annotated[
        int | None, typer.Option(help="Days until the token expires; never when omitted.", min=1)
    ] = None,
    data_dir: DataDir = Path("data"),
) -> None:
    """Create an API token and print it (only its SHA-256 is stored: copy it now)."""
    db = _database(data_dir)
    token, digest = new_token()
    try:
        with db.session() as session:
            user = session.scalar(select(User).where(User.username == username))
            if user is None:
                raise _fail(f"no user {username!r}")
            expires = datetime.now(UTC) + timedelta(days=expires_days) if expires_days else None
            session.add(ApiToken(user_id=user.id, name=name[:100], token_sha256=digest, expires_at=expires))
    finally:
        db.dispose()
    sys.stdout.write(token + "\n")
    err.print(f"token {name!r} for {username}; send it as 'Authorization: Bearer <token>'")


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = Path("data")) -> None:
    """Migrate the database to this version's schema (serve does this by itself at start)."""
    db = _database(data_dir)
    try:
        out.print(f"{db!r} at revision {db.current_revision()}")
    finally:
        db.dispose()


@app.command()
def version() -> None:
    """Print the version."""
    out.print(f"centralino {__version__}")


# `centralino prompts`: the prompt cache (docs/prompts.md)

prompts_app = typer.Typer(
    help="Build the spoken prompts (espeak-ng) into the data directory.", no_args_is_help=True
)
app.add_typer(prompts_app, name="prompts")


def _numbers(text: str, option: str) -> list[int]:
    """``1-20``, ``3,5,7`` or ``none``: the numbers an announcement option selects."""
    if text.strip().lower() in ("", "none"):
        return []
    numbers: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.strip().partition("-")
            numbers.extend(range(int(low), int(high or low) + 1))
    except ValueError:
        raise _fail(f"{option} {text!r}: write a range like 1-20, a list like 1,2,3, or none") from None
    return numbers


@prompts_app.command("build")
def prompts_build(
    config_file: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Configuration file (YAML). Without it: the demo center.",
                     exists=True, dir_okay=False),
    ] = None,
    data_dir: DataDir = Path("data"),
    languages: Annotated[
        str, typer.Option(help="Comma-separated languages of the announcements and system prompts.")
    ] = "en,pl,it,es,de,sq",
    positions: Annotated[
        str, typer.Option(help="Queue positions to announce: a range, a list or none.")
    ] = "1-20",
    waits: Annotated[str, typer.Option(help="Waits in minutes to announce: a range, a list or none.")] = (
        "0-30"
    ),
) -> None:
    """Render every text prompt of the flows, the queue announcements and the system prompts.

    Files already built from the same text and voice are skipped, so running it again is fast.
    """
    from centralino.media.player import PromptError
    from centralino.media.prompts import build_all

    logs.configure("warning")
    try:
        center = config.load(config_file)
    except ConfigError as exc:
        _print_problems(exc.problems)
        raise _fail(f"{config_file}: the configuration has errors; nothing was built") from exc
    flows = [flow for tenant in center.tenants for flow in config.tenant_flows(center, tenant).values()]
    wanted = [lang.strip() for lang in languages.split(",") if lang.strip()]
    try:
        summary = build_all(flows, data_dir, wanted, positions=_numbers(positions, "--positions"),
                            waits=_numbers(waits, "--waits"))
    except PromptError as exc:
        raise _fail(str(exc)) from exc
    for line in summary.lines():
        out.print(line)
    out.print(f"prompts in {data_dir / 'prompts'}")


@app.command("report")
def report(
    tenant: Annotated[str, typer.Option(help="Tenant name.")],
    day: Annotated[
        str | None, typer.Option(help="Day as YYYY-MM-DD in the tenant's time zone; default today.")
    ] = None,
    interval: Annotated[int, typer.Option(help="Interval length in minutes: 15, 30 or 60.")] = 15,
    queue: Annotated[str | None, typer.Option(help="Only this queue.")] = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Also write a PNG chart of offered, answered and SL.")
    ] = None,
    data_dir: DataDir = Path("data"),
) -> None:
    """Print a day's interval report per queue and agent (service level with its formula)."""
    from datetime import date as _date
    from zoneinfo import ZoneInfo

    from centralino.records.report import INTERVALS, chart_png, day_bounds, report_lines
    from centralino.store.call_record_store import CallRecordStore

    if interval not in INTERVALS:
        raise _fail(f"--interval is 15, 30 or 60 minutes, not {interval}")
    db = _database(data_dir)
    try:
        with db.session() as session:
            row = session.scalar(select(Tenant).where(Tenant.name == tenant))
            if row is None:
                raise _fail(f"no tenant {tenant!r}; `centralino config export` lists the tenants")
            tenant_id, zone = row.id, ZoneInfo(row.time_zone)
        now = datetime.now(UTC).timestamp()
        try:
            wanted = _date.fromisoformat(day) if day else datetime.fromtimestamp(now, zone).date()
        except ValueError as exc:
            raise _fail(f"--day {day!r} is not a date like 2026-05-28") from exc
        start, end = day_bounds(wanted, zone)
        result = CallRecordStore(db).interval_report(
            tenant_id, start=start, end=end, length=interval * 60.0, now=now, queue=queue
        )
    finally:
        db.dispose()
    out.print(f"{tenant} {wanted.isoformat()} ({zone.key}), {interval}-minute intervals"
              f"{'' if now >= end else ', so far'}", markup=False)
    for line in report_lines(result, zone):
        out.print(line, markup=False)
    if chart is not None:
        title = f"{tenant} {wanted.isoformat()}: {interval}-minute intervals"
        chart.write_bytes(chart_png(result, zone, title))
        out.print(f"wrote {chart}", markup=False)

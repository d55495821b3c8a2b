"""Settings: one msgspec Struct read once from `LML_*` environment variables."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Literal, get_args, get_origin, get_type_hints
from urllib.parse import parse_qs, unquote, urlsplit

import msgspec

# Development defaults: public, so production refuses to start with any of them.
DEV_JWT_SECRET = "development-only-secret-change-me-0123456789"  # noqa: S105
DEV_STRIPE_SECRET_KEY = "sk_test_local"  # noqa: S105
DEV_STRIPE_WEBHOOK_SECRET = "whsec_local"  # noqa: S105
DEV_TICKET_SIGNING_KEY = "development-only-ticket-key-0123456789"
DEV_IDEMPOTENCY_SECRET = "development-only-idempotency-secret-0123456789"  # noqa: S105


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    env: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = msgspec.field(default=8000)
    # The application's own role: not a superuser, so row-level security applies to it.
    database_url: str = "postgresql://lml_app@127.0.0.1:5432/lml"
    # The schema owner's connection, used by `lml migrate` only.
    migrate_database_url: str = "postgresql://postgres@127.0.0.1:5432/lml"
    db_pool_min: int = 2
    db_pool_max: int = 20
    db_statement_timeout_ms: int = 5_000
    db_lock_timeout_ms: int = 2_000
    db_idle_in_transaction_timeout_ms: int = 10_000
    # Off behind a transaction pooler that cannot carry server-side prepared statements from one
    # server connection to another (PgBouncer before 1.21, or without `max_prepared_statements`).
    db_prepared_statements: bool = True
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_key_prefix: str = "lml"
    # `redis_url` names a node of a Redis Cluster: every use of Redis goes through a cluster client.
    redis_cluster: bool = False
    # The Redis of the worker's queues (Dramatiq's broker, which does not speak Cluster) and of its
    # ticks: a plain Redis. Empty: `redis_url`; required while `redis_cluster` is on.
    broker_url: str = ""
    mongo_url: str = "mongodb://127.0.0.1:27017"
    mongo_database: str = "lml"
    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer: str = "lml"
    jwt_audience: str = "lml-api"
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_seconds: int = 900
    refresh_token_seconds: int = 7 * 24 * 3600
    stripe_secret_key: str = DEV_STRIPE_SECRET_KEY
    # Comma-separated: several secrets are accepted while one is rotated.
    stripe_webhook_secret: str = DEV_STRIPE_WEBHOOK_SECRET
    stripe_api_base: str = "http://127.0.0.1:8420"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "console"
    max_body_bytes: int = 2 * 1024 * 1024
    # The whole request body must arrive within this many seconds of the first read (else 408).
    body_timeout_seconds: int = 30
    outbox_max_attempts: int = 10
    # How long a relay's claim on a batch of outbox events lasts: a worker killed with its claim leaves
    # those events undelivered this long, until another relay takes them. Longer than a batch takes to
    # deliver (one remote call per event at most); a claim that outlives it costs no double delivery
    # (each delivery checks its claim under the event's row lock), only the first relay's skipped work.
    outbox_claim_lease_seconds: int = 120
    # Places of one show held at once from one client address (an IPv6 /64): free guest sessions
    # must not let one machine hold a show, yet a household or an office behind one NAT still buys.
    max_held_per_address: int = 24
    # Orders of a cancelled show handled per transaction by the worker.
    cancellation_batch_size: int = 100
    # A comment line on an idle availability stream this often, so that proxies keep it open.
    sse_heartbeat_seconds: float = 15.0
    # Polls a second that one waiting room's line may make in all: each buyer is told to poll at an
    # interval that keeps the room within it.
    queue_polls_per_second: int = 1000
    # Buyers that may join one show's waiting room from one client address at once, then one a second
    # more: a budget per address and show (the join script spends it, and a script's keys are all in
    # its show's Redis Cluster slot), so each show's room counts its own.
    queue_joins_per_address: int = 50
    # HMAC-SHA256 key of the ticket payloads that door scanners verify offline (they hold it too).
    ticket_signing_key: str = DEV_TICKET_SIGNING_KEY
    # Keys the Idempotency-Key records in Redis: their names, and the encryption of the responses kept.
    idempotency_secret: str = DEV_IDEMPOTENCY_SECRET
    # Mail: the SMTP server (`smtp_server` parses it; its password is never echoed), who mail is from,
    # and the apps' address that links in messages point at.
    smtp_url: str = "smtp://127.0.0.1:1025"
    mail_from: str = "LML <tickets@localhost>"
    public_base_url: str = "http://127.0.0.1:8000"
    # SMS through Twilio, on when the three are set; the API's address is another for tests.
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_api_base: str = "https://api.twilio.com"
    # Browsers: the web apps' origins that may call the API (comma-separated, exact); none by default.
    cors_origins: str = ""
    # Reverse proxies and load balancers (CIDRs, comma-separated) whose `forwarded_header` names the
    # client; from anyone else the header is ignored (whoever connects could write any address in it).
    trusted_proxies: str = ""
    forwarded_header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for"
    # The general rate limit of every route: a burst, then so many a second on average; per principal
    # where a valid token comes, per client address otherwise.
    rate_limit_principal_burst: int = 600
    rate_limit_principal_per_second: float = 20.0
    rate_limit_address_burst: int = 600
    rate_limit_address_per_second: float = 20.0
    # The worker's own Prometheus `/metrics` (its counters and the backlog), on LML_HOST at this port;
    # 0: not served.
    worker_metrics_port: int = 0

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def broker_redis_url(self) -> str:
        return self.broker_url or self.redis_url

    @property
    def smtp_server(self) -> SmtpServer:
        return parse_smtp_url(self.smtp_url)

    @property
    def sms_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from)

    @property
    def cors_origin_list(self) -> tuple[str, ...]:
        return tuple(origin.strip() for origin in self.cors_origins.split(",") if origin.strip())

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        """Raises ValueError naming the first entry that is no address or network."""
        return tuple(_network(entry.strip()) for entry in self.trusted_proxies.split(",") if entry.strip())

    @property
    def stripe_webhook_secrets(self) -> list[str]:
        return [s.strip() for s in self.stripe_webhook_secret.split(",") if s.strip()]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every `LML_<FIELD>` variable; unset or empty ones keep their defaults."""
        environ = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        for name in cls.__struct_fields__:
            value = environ.get(f"LML_{name.upper()}")
            if value is not None and value != "":
                raw[name] = value.strip().lower() if name in _CASE_INSENSITIVE else value.strip()
        if raw.get("env") == "production":
            # Production defaults differ from a development machine's: JSON logs, the real Stripe.
            raw.setdefault("log_format", "json")
            raw.setdefault("stripe_api_base", "https://api.stripe.com")
        problems = []
        # Field by field, so that every bad variable is named at once rather than the first only.
        for name, given in raw.items():
            try:
                msgspec.convert({name: given}, cls, strict=False)
            except msgspec.ValidationError:
                problems.append(_expected(name, given))
        if problems:
            raise SettingsError("; ".join(problems))
        settings = msgspec.convert(raw, cls, strict=False)
        settings.check()
        return settings

    def check(self) -> None:
        """Rules that span fields or depend on the environment; raises naming every variable at fault."""
        problems = []
        for name in _POSITIVE:
            if getattr(self, name) <= 0:
                kind = "number" if get_type_hints(Settings)[name] is float else "integer"
                problems.append(f"LML_{name.upper()} must be a positive {kind}")
        if not 0 < self.port < 65536:
            problems.append("LML_PORT must be between 1 and 65535")
        if not 0 <= self.worker_metrics_port < 65536:
            problems.append("LML_WORKER_METRICS_PORT must be between 0 (not served) and 65535")
        if self.db_pool_min > self.db_pool_max:
            problems.append("LML_DB_POOL_MIN must not exceed LML_DB_POOL_MAX")
        for name in ("database_url", "migrate_database_url"):
            if not _is_conninfo(getattr(self, name)):
                problems.append(
                    f"LML_{name.upper()} must be a postgresql:// URL or a libpq connection string (key=value ...)"
                )
        for name, schemes in _URL_SCHEMES.items():
            if urlsplit(getattr(self, name)).scheme not in schemes:
                starts = " or ".join(f"{scheme}://" for scheme in schemes)
                problems.append(f"LML_{name.upper()} must be a URL starting with {starts}")
        shortest = JWT_SECRET_SHORTEST[self.jwt_algorithm]
        if len(self.jwt_secret) < shortest:
            problems.append(f"LML_JWT_SECRET must be at least {shortest} characters for {self.jwt_algorithm}")
        for name in ("ticket_signing_key", "idempotency_secret"):
            if len(getattr(self, name)) < 32:
                problems.append(f"LML_{name.upper()} must be at least 32 characters")
        problems.extend(_redis_problems(self))
        problems.extend(_messaging_problems(self))
        problems.extend(_edge_problems(self))
        public = [name for name, development_value in _DEVELOPMENT_SECRETS.items()
                  if getattr(self, name) == development_value]
        if self.is_production:
            problems.extend(f"LML_{name.upper()} must be set in production (the development default is public)"
                            for name in public)
        elif not is_loopback(self.host) and (exposed := [n for n in public if n in LISTENING_SECRETS]):
            problems.append(
                f"{', '.join(f'LML_{name.upper()}' for name in exposed)} must be set while the API listens"
                f" beyond loopback (LML_HOST={self.host}): the development defaults are public"
                " (ops/run generates them into .run/secrets.env)"
            )
        if problems:
            raise SettingsError("; ".join(problems))


_CASE_INSENSITIVE = {"env", "log_level", "log_format", "forwarded_header", "redis_cluster"}
_POSITIVE = (
    "db_pool_min", "db_pool_max", "db_statement_timeout_ms", "db_lock_timeout_ms",
    "db_idle_in_transaction_timeout_ms", "access_token_seconds", "refresh_token_seconds",
    "max_body_bytes", "body_timeout_seconds", "outbox_max_attempts", "outbox_claim_lease_seconds",
    "max_held_per_address",
    "cancellation_batch_size", "sse_heartbeat_seconds", "queue_polls_per_second",
    "queue_joins_per_address", "rate_limit_principal_burst", "rate_limit_principal_per_second",
    "rate_limit_address_burst", "rate_limit_address_per_second",
)
_URL_SCHEMES = {
    "redis_url": ("redis", "rediss", "unix"),
    "mongo_url": ("mongodb", "mongodb+srv"),
    "stripe_api_base": ("http", "https"),
    "public_base_url": ("http", "https"),
    "twilio_api_base": ("http", "https"),
}
# The secrets that authenticate what reaches the API (tokens, tickets, Stripe's calls): with their
# public development values, anyone who can reach it mints an admin token, forges a ticket or a
# payment. Refused whenever the API listens beyond loopback; ops/run generates each of them
# (GENERATED_SECRETS in ops/lib.sh lists the same).
# RFC 7518, section 3.2: an HMAC key at least as long as the hash it signs with.
JWT_SECRET_SHORTEST = {"HS256": 32, "HS384": 48, "HS512": 64}

LISTENING_SECRETS = ("jwt_secret", "ticket_signing_key", "stripe_webhook_secret", "idempotency_secret")
_DEVELOPMENT_SECRETS = {
    "jwt_secret": DEV_JWT_SECRET,
    "stripe_secret_key": DEV_STRIPE_SECRET_KEY,
    "stripe_webhook_secret": DEV_STRIPE_WEBHOOK_SECRET,
    "ticket_signing_key": DEV_TICKET_SIGNING_KEY,
    "idempotency_secret": DEV_IDEMPOTENCY_SECRET,
}


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    # `implicit`: TLS from the first byte (smtps://); `starttls`: upgraded, and refused without it.
    tls: Literal["none", "starttls", "implicit"]
    username: str | None = None
    password: str | None = field(default=None, repr=False)


_SMTP_URL_FORM = ("LML_SMTP_URL must be smtp://[user:password@]host:port (with ?starttls=true for STARTTLS)"
                  " or smtps://[user:password@]host:port")


def parse_smtp_url(url: str) -> SmtpServer:
    """Raises ValueError saying what the URL must look like, never echoing it (it may hold a password)."""
    try:
        parts = urlsplit(url)
        port = parts.port
        query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise ValueError(_SMTP_URL_FORM) from None
    starttls = query.pop("starttls", ["false"])
    if (parts.scheme not in ("smtp", "smtps") or not parts.hostname or parts.path not in ("", "/") or query
            or starttls not in (["true"], ["false"]) or (parts.scheme == "smtps" and starttls == ["true"])):
        raise ValueError(_SMTP_URL_FORM)
    tls: Literal["none", "starttls", "implicit"] = (
        "implicit" if parts.scheme == "smtps" else "starttls" if starttls == ["true"] else "none")
    return SmtpServer(
        host=parts.hostname, port=port or (465 if tls == "implicit" else 25), tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def _redis_problems(settings: Settings) -> list[str]:
    problems = []
    if settings.broker_url and urlsplit(settings.broker_url).scheme not in _URL_SCHEMES["redis_url"]:
        problems.append("LML_BROKER_URL must be a URL starting with redis://, rediss:// or unix://")
    if settings.redis_cluster:
        if not settings.broker_url:
            problems.append("LML_BROKER_URL must name a plain Redis (not the cluster) for the worker's queues"
                            " while LML_REDIS_CLUSTER is on: Dramatiq's Redis broker does not speak Cluster")
        if urlsplit(settings.redis_url).scheme == "unix":
            problems.append("LML_REDIS_URL must be a redis:// or rediss:// URL of a cluster node while"
                            " LML_REDIS_CLUSTER is on")
        elif urlsplit(settings.redis_url).path.strip("/") not in ("", "0"):
            problems.append("LML_REDIS_URL must name database 0 (or none) while LML_REDIS_CLUSTER is on:"
                            " a cluster has no other")
    return problems


# A Twilio account SID, and what a message may be sent from: a number in E.164 or a messaging service.
_TWILIO_SID = re.compile(r"AC[0-9a-f]{32}")
_TWILIO_FROM = re.compile(r"\+[1-9][0-9]{6,14}|MG[0-9a-f]{32}")


def _messaging_problems(settings: Settings) -> list[str]:
    problems = []
    try:
        settings.smtp_server  # noqa: B018 - parsed for its errors
    except ValueError as error:
        problems.append(str(error))
    _, address = parseaddr(settings.mail_from)
    if "@" not in address or re.search(r"[\x00-\x1f\x7f]", settings.mail_from):
        problems.append("LML_MAIL_FROM must be an address, as `Name <address@domain>` or `address@domain`")
    twilio = ("twilio_account_sid", "twilio_auth_token", "twilio_from")
    if any(getattr(settings, name) for name in twilio) and not settings.sms_enabled:
        problems.append("LML_TWILIO_ACCOUNT_SID, LML_TWILIO_AUTH_TOKEN and LML_TWILIO_FROM are set together, or none")
    if settings.twilio_account_sid and not _TWILIO_SID.fullmatch(settings.twilio_account_sid):
        problems.append("LML_TWILIO_ACCOUNT_SID must be an account SID (AC and 32 hexadecimal digits)")
    if settings.twilio_from and not _TWILIO_FROM.fullmatch(settings.twilio_from):
        problems.append("LML_TWILIO_FROM must be a phone number in E.164 form (+14155550123) or a messaging"
                        " service SID (MG and 32 hexadecimal digits)")
    return problems


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(entry: str) -> IPNetwork:
    try:
        # A bare address is a network of one; host bits are let through (10.0.0.1/8 is 10.0.0.0/8).
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        raise ValueError(f"LML_TRUSTED_PROXIES must list addresses or networks (CIDR), not {entry!r}") from None


def is_origin(value: str) -> bool:
    """Whether `value` is an origin as browsers send it in `Origin`: scheme://host[:port], the scheme
    and host in lowercase, no path, no default port (only then does an exact comparison work)."""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return False
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return (default is not None and bool(parts.hostname) and not parts.path and not parts.query
            and not parts.fragment and "@" not in parts.netloc and port != default and value == value.lower())


def _edge_problems(settings: Settings) -> list[str]:
    problems = [f"LML_CORS_ORIGINS must list origins as scheme://host[:port] (lowercase, no path, no default"
                f" port), not {origin!r}" for origin in settings.cors_origin_list if not is_origin(origin)]
    try:
        settings.trusted_proxy_networks  # noqa: B018 - parsed for its errors
    except ValueError as error:
        problems.append(str(error))
    return problems


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach an API listening on `host`."""
    host = host.strip().removeprefix("[").removesuffix("]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_conninfo(value: str) -> bool:
    # Imported here: every layer reads the settings, and the application layers import no driver.
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        return bool(conninfo_to_dict(value))
    except psycopg.ProgrammingError:
        return False


def _expected(name: str, value: object) -> str:
    """What a variable must look like. The value is echoed only for fields that cannot hold a secret."""
    hint = get_type_hints(Settings)[name]
    if get_origin(hint) is Literal:
        return f"LML_{name.upper()} must be one of {', '.join(get_args(hint))}, not {value!r}"
    if hint is int:
        return f"LML_{name.upper()} must be an integer, not {value!r}"
    if hint is bool:
        return f"LML_{name.upper()} must be true or false, not {value!r}"
    return f"LML_{name.upper()} is invalid"

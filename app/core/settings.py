"""One Settings object, built from the environment at the edge and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping

import msgspec

# URL schemes that name a Redis Cluster's seed nodes.
CLUSTER_SCHEMES = ("redis+cluster://", "rediss+cluster://")
DEV_SECRET_KEY = "onsale-dev-secret-key-change-me-in-production-0123456789"
DEV_WEBHOOK_SECRET = "whsec_onsale_local"


# What a running `onsale dev` records for the dev commands run from its folder: where its
# servers listen, and nothing else. Never ONSALE_ENV, a secret or a guard such as
# ONSALE_WEBHOOK_ALLOW_PRIVATE: the file lies in a working folder where a production
# process may be started too, and must not be able to steer one.
DEV_STACK_KEYS = frozenset(
    {
        "ONSALE_REDIS_URL",
        "ONSALE_DATABASE_URL",
        "ONSALE_JOBS_REDIS_URL",
        "ONSALE_STRIPE_API_BASE",
        "ONSALE_SMTP_URL",
        "ONSALE_AMQP_URL",
        "ONSALE_DEV_MAIL_DIR",
        "ONSALE_BASE_URL",
        "ONSALE_WORKER_METRICS_URL",
    }
)


def dev_stack_env(env: Mapping[str, str]) -> dict[str, str]:
    """The server addresses a running `onsale dev` recorded here (.onsale/dev.json), if any.

    Lets `onsale simulate`, `onsale demo` and (under ONSALE_ENV=dev) `onsale reconcile`,
    run from the same folder, reach the embedded servers without copying URLs around.
    Only DEV_STACK_KEYS are taken from the file, whatever else it holds.
    """
    path = env.get("ONSALE_DEV_STATE", ".onsale/dev.json")
    try:
        with open(path, "rb") as handle:
            data = msgspec.json.decode(handle.read(), type=dict[str, str])
    except (OSError, msgspec.DecodeError):
        return {}
    return {k: v for k, v in data.items() if k in DEV_STACK_KEYS}


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything configurable. Only `from_env` (and `with_dev_stack` on top of it) reads the
    environment."""

    redis_url: str = "redis://127.0.0.1:6379/0"
    # Redis Cluster for the hot path: also implied by a redis+cluster:// URL
    # (seed nodes, comma-separated: redis+cluster://h1:7000,h2:7001).
    redis_cluster: bool = False
    # arq's own plain Redis (arq does not speak cluster); "" = redis_url when
    # that is a single Redis.
    jobs_redis_url: str = ""
    database_url: str = "postgresql://postgres@127.0.0.1:5432/onsale"
    secret_key: str = DEV_SECRET_KEY
    # Seals authenticator (TOTP) secrets at rest; "" = derived from secret_key. Kept apart
    # so secret_key can be rotated without making every enrolled authenticator unreadable.
    totp_key: str = ""
    stripe_api_key: str = "sk_test_onsale_local"
    stripe_webhook_secret: str = DEV_WEBHOOK_SECRET
    stripe_api_base: str = ""
    # Browser side of Stripe: the publishable key and where Stripe.js comes from
    # ("" = https://js.stripe.com/v3/, or the stand-in's copy when stripe_api_base is set).
    stripe_publishable_key: str = "pk_test_onsale_local"
    stripe_js_url: str = ""
    bootstrap_admin_email: str = ""
    bootstrap_admin_password: str = ""
    # "production" refuses weak secrets at start (app.core.secrets); "dev" is for
    # `onsale dev` and the test suite. from_env defaults to production.
    env: str = "dev"
    # Short access tokens; fans stay signed in through rotating refresh tokens.
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 30 * 24 * 3600
    # Peers whose X-Forwarded-For names the client (comma-separated IPs or CIDRs).
    trusted_proxies: str = ""
    # Overrides of the named rate limits, e.g. "login_ip=30/minute;register_ip=off".
    rate_limits: str = ""
    # Concurrent queue streams one account may hold open (all events, all processes).
    max_streams_per_account: int = 3
    # Without a token /metrics is public under dev and 404 under production;
    # with one it needs `Authorization: Bearer <token>`.
    metrics_token: str = ""
    # Default proof-of-work difficulty (leading zero bits) for queue joins; 0 = off.
    pow_difficulty: int = 0
    db_pool_size: int = 10
    redis_pool_size: int = 64
    log_level: str = "INFO"
    # Upper bound for how long a hold in checkout waits for Stripe's decision
    # past its own expiry before the sweeper asks Stripe and settles it.
    checkout_grace_s: int = 900
    # Drift rule: a section whose Redis inventory disagrees with Postgres while holds are in
    # doubt is paused (and alerted) once the disagreement outlives this bound.
    drift_pause_after_s: int = 300
    # The payment reconciler looks at a PaymentIntent no job settled after this long.
    payment_reconcile_after_s: int = 60
    # Test-only fault injection for the finalize job ("" = off): "<step>" SIGKILLs the
    # worker there, "raise:<step>:<fraction>" raises there in that fraction of runs.
    fault_inject: str = ""
    # Jobs one worker runs at once. A finalize job waits on Stripe twice (read back,
    # capture: ~0.3 s each), so by Little's law in-flight jobs = orders/s x job time:
    # 500 orders/s x ~0.65 s = 325 over 2 workers, ~163 each; 200 leaves headroom.
    worker_max_jobs: int = 200
    # Mount the framework-ceiling endpoint that `onsale bench` measures.
    bench_endpoints: bool = False
    # Organizers must sign in with a second factor (admins always must).
    require_2fa_organizers: bool = False
    # Notifications (app/notifications): where email goes (smtp://, smtps://, ?starttls=1;
    # "" = email off), the sender, the SMS and push provider URLs ("" = channel off) and
    # the key that signs what goes to them, retries and timing.
    smtp_url: str = ""
    # Where fans open the app: the base of the links in account emails (reset, verify).
    public_url: str = "http://127.0.0.1:8000"
    mail_from: str = "Onsale <tickets@onsale.local>"
    sms_url: str = ""
    push_url: str = ""
    provider_secret: str = ""
    notify_max_attempts: int = 8
    notify_backoff_s: float = 5.0
    notify_lease_s: float = 60.0
    notify_send_timeout_s: float = 10.0
    notify_nudge_s: int = 120
    notify_reminder_s: int = 86_400
    # Integrator webhooks may target private addresses (only for development and tests).
    webhook_allow_private: bool = False
    # The event stream (app/stream): the RabbitMQ broker ("" = no stream; the outbox keeps
    # the messages until one is configured) and the deployment's topic exchange.
    amqp_url: str = ""
    stream_exchange: str = "onsale.events"
    # The standalone room (app/gate): a gate in front of any origin through nginx's
    # auth_request. The worker measures `gate_origin_url` twice a second ("" = no gate: the
    # check lets everyone through); a median latency of the last `gate_window` samples at or
    # above `gate_latency_ms`, or that share of failures, queues new fans; after
    # `gate_recover_samples` healthy samples in a row the room drains at `gate_drain_per_s`
    # and opens again. While queueing the inlet lets `gate_admit_per_s` fans through.
    gate_origin_url: str = ""
    gate_latency_ms: int = 1000
    gate_error_rate: float = 0.5
    gate_window: int = 3
    gate_recover_samples: int = 5
    gate_admit_per_s: float = 1.0
    gate_drain_per_s: float = 20.0
    gate_pass_ttl_s: int = 900

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        # The environment only: production processes never read .onsale/dev.json
        # (the commands that may use it go through with_dev_stack).
        env = os.environ if environ is None else environ
        defaults = cls()

        def get(name: str, default: str) -> str:
            return env.get(f"ONSALE_{name}", default) or default

        app_env = get("ENV", "production").lower()
        proxies = "127.0.0.1,::1" if app_env == "dev" else ""
        return cls(
            env=app_env,
            refresh_token_ttl_s=int(get("REFRESH_TOKEN_TTL_S", str(defaults.refresh_token_ttl_s))),
            trusted_proxies=get("TRUSTED_PROXIES", proxies),
            rate_limits=get("RATE_LIMITS", ""),
            max_streams_per_account=int(
                get("MAX_STREAMS_PER_ACCOUNT", str(defaults.max_streams_per_account))
            ),
            metrics_token=get("METRICS_TOKEN", ""),
            pow_difficulty=int(get("POW_DIFFICULTY", str(defaults.pow_difficulty))),
            redis_url=get("REDIS_URL", defaults.redis_url),
            redis_cluster=get("REDIS_CLUSTER", "false").lower() in ("1", "true", "yes"),
            jobs_redis_url=get("JOBS_REDIS_URL", ""),
            database_url=get("DATABASE_URL", defaults.database_url),
            # Outside dev an unset secret stays empty, so the start-up check can say so.
            secret_key=get("SECRET_KEY", defaults.secret_key if app_env == "dev" else ""),
            totp_key=get("TOTP_KEY", ""),
            stripe_api_key=get("STRIPE_API_KEY", defaults.stripe_api_key),
            stripe_webhook_secret=get(
                "STRIPE_WEBHOOK_SECRET",
                defaults.stripe_webhook_secret if app_env == "dev" else "",
            ),
            stripe_api_base=get("STRIPE_API_BASE", defaults.stripe_api_base),
            stripe_publishable_key=get("STRIPE_PUBLISHABLE_KEY", defaults.stripe_publishable_key),
            stripe_js_url=get("STRIPE_JS_URL", ""),
            bootstrap_admin_email=get("BOOTSTRAP_ADMIN_EMAIL", ""),
            bootstrap_admin_password=get("BOOTSTRAP_ADMIN_PASSWORD", ""),
            access_token_ttl_s=int(get("ACCESS_TOKEN_TTL_S", str(defaults.access_token_ttl_s))),
            db_pool_size=int(get("DB_POOL_SIZE", str(defaults.db_pool_size))),
            redis_pool_size=int(get("REDIS_POOL_SIZE", str(defaults.redis_pool_size))),
            log_level=get("LOG_LEVEL", defaults.log_level),
            checkout_grace_s=int(get("CHECKOUT_GRACE_S", str(defaults.checkout_grace_s))),
            drift_pause_after_s=int(get("DRIFT_PAUSE_AFTER_S", str(defaults.drift_pause_after_s))),
            payment_reconcile_after_s=int(
                get("PAYMENT_RECONCILE_AFTER_S", str(defaults.payment_reconcile_after_s))
            ),
            fault_inject=get("FAULT_INJECT", ""),
            worker_max_jobs=int(get("WORKER_MAX_JOBS", str(defaults.worker_max_jobs))),
            bench_endpoints=get("BENCH_ENDPOINTS", "false").lower() in ("1", "true", "yes"),
            # Organizers refund, export and reconfigure sales: in production they sign in
            # with a second factor unless the operator says otherwise.
            require_2fa_organizers=get(
                "REQUIRE_2FA_ORGANIZERS", "true" if app_env == "production" else "false"
            ).lower()
            in ("1", "true", "yes"),
            smtp_url=get("SMTP_URL", ""),
            public_url=get("PUBLIC_URL", defaults.public_url),
            mail_from=get("MAIL_FROM", defaults.mail_from),
            sms_url=get("SMS_URL", ""),
            amqp_url=get("AMQP_URL", ""),
            stream_exchange=get("STREAM_EXCHANGE", defaults.stream_exchange),
            gate_origin_url=get("GATE_ORIGIN_URL", ""),
            gate_latency_ms=int(get("GATE_LATENCY_MS", str(defaults.gate_latency_ms))),
            gate_error_rate=float(get("GATE_ERROR_RATE", str(defaults.gate_error_rate))),
            gate_window=int(get("GATE_WINDOW", str(defaults.gate_window))),
            gate_recover_samples=int(
                get("GATE_RECOVER_SAMPLES", str(defaults.gate_recover_samples))
            ),
            gate_admit_per_s=float(get("GATE_ADMIT_PER_S", str(defaults.gate_admit_per_s))),
            gate_drain_per_s=float(get("GATE_DRAIN_PER_S", str(defaults.gate_drain_per_s))),
            gate_pass_ttl_s=int(get("GATE_PASS_TTL_S", str(defaults.gate_pass_ttl_s))),
            push_url=get("PUSH_URL", ""),
            provider_secret=get("PROVIDER_SECRET", ""),
            notify_max_attempts=int(get("NOTIFY_MAX_ATTEMPTS", str(defaults.notify_max_attempts))),
            notify_backoff_s=float(get("NOTIFY_BACKOFF_S", str(defaults.notify_backoff_s))),
            notify_lease_s=float(get("NOTIFY_LEASE_S", str(defaults.notify_lease_s))),
            notify_send_timeout_s=float(
                get("NOTIFY_SEND_TIMEOUT_S", str(defaults.notify_send_timeout_s))
            ),
            notify_nudge_s=int(get("NOTIFY_NUDGE_S", str(defaults.notify_nudge_s))),
            notify_reminder_s=int(get("NOTIFY_REMINDER_S", str(defaults.notify_reminder_s))),
            webhook_allow_private=get("WEBHOOK_ALLOW_PRIVATE", "false").lower()
            in ("1", "true", "yes"),
        )

    @classmethod
    def with_dev_stack(
        cls, environ: Mapping[str, str] | None = None, *, default_env: str = "production"
    ) -> Settings:
        """Settings for a command run by hand: under dev, also the servers of a running
        `onsale dev` in this folder (dev_stack_env); variables set in the environment win.

        `default_env` is ONSALE_ENV when unset: "dev" for the developer commands
        (simulate, demo), "production" for the admin tools (reconcile, users, ...), which
        therefore read the file only when ONSALE_ENV=dev is set explicitly.
        """
        env = dict(os.environ if environ is None else environ)
        app_env = (env.get("ONSALE_ENV") or default_env).lower()
        if app_env != "dev":
            return cls.from_env(env)
        return cls.from_env({**dev_stack_env(env), **env, "ONSALE_ENV": "dev"})

    @property
    def cluster(self) -> bool:
        """Whether the hot path (inventory, holds, queue) runs on a Redis Cluster."""
        return self.redis_cluster or self.redis_url.startswith(CLUSTER_SCHEMES)

    def jobs_url(self) -> str:
        """arq's Redis: ONSALE_JOBS_REDIS_URL, else the single Redis of the hot path."""
        if self.jobs_redis_url:
            return self.jobs_redis_url
        if self.cluster:
            raise ValueError("ONSALE_JOBS_REDIS_URL is required with a Redis Cluster (arq)")
        return self.redis_url

    @property
    def stripe_js(self) -> str:
        """The Stripe.js URL pages load: configured, else the stand-in's, else Stripe's own."""
        if self.stripe_js_url:
            return self.stripe_js_url
        if self.stripe_api_base:
            return self.stripe_api_base.rstrip("/") + "/js.stripe.com/v3/"
        return "https://js.stripe.com/v3/"

    def as_env(self) -> dict[str, str]:
        """The environment that reproduces these settings in a child process."""
        out: dict[str, str] = {}
        for field in self.__struct_fields__:
            out[f"ONSALE_{field.upper()}"] = str(getattr(self, field))
        return out

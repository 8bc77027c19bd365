"""One Settings object, built from the environment at the edge and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping

import msgspec

DEV_SECRET_KEY = "onsale-dev-secret-key-change-me-in-production-0123456789"


def dev_stack_env(env: Mapping[str, str]) -> dict[str, str]:
    """The servers a running `onsale dev` started here (.onsale/dev.json), if any.

    Lets `onsale simulate`, `onsale reconcile` and friends, run from the same
    folder, reach the embedded servers without copying URLs around. Variables
    set in the environment still win.
    """
    path = env.get("ONSALE_DEV_STATE", ".onsale/dev.json")
    try:
        with open(path, "rb") as handle:
            data = msgspec.json.decode(handle.read(), type=dict[str, str])
    except (OSError, msgspec.DecodeError):
        return {}
    return {k: v for k, v in data.items() if k.startswith("ONSALE_")}


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything configurable. Only `from_env` reads the environment."""

    redis_url: str = "redis://127.0.0.1:6379/0"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/onsale"
    secret_key: str = DEV_SECRET_KEY
    stripe_api_key: str = "sk_test_onsale_local"
    stripe_webhook_secret: str = "whsec_onsale_local"
    stripe_api_base: str = ""
    # Browser side of Stripe: the publishable key and where Stripe.js comes from
    # ("" = https://js.stripe.com/v3/, or the stand-in's copy when stripe_api_base is set).
    stripe_publishable_key: str = "pk_test_onsale_local"
    stripe_js_url: str = ""
    bootstrap_admin_email: str = ""
    bootstrap_admin_password: str = ""
    access_token_ttl_s: int = 3600
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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        env = {**dev_stack_env(env), **env}
        defaults = cls()

        def get(name: str, default: str) -> str:
            return env.get(f"ONSALE_{name}", default) or default

        return cls(
            redis_url=get("REDIS_URL", defaults.redis_url),
            database_url=get("DATABASE_URL", defaults.database_url),
            secret_key=get("SECRET_KEY", defaults.secret_key),
            stripe_api_key=get("STRIPE_API_KEY", defaults.stripe_api_key),
            stripe_webhook_secret=get("STRIPE_WEBHOOK_SECRET", defaults.stripe_webhook_secret),
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
            require_2fa_organizers=get("REQUIRE_2FA_ORGANIZERS", "false").lower()
            in ("1", "true", "yes"),
        )

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

"""Settings, read from the environment (and a local `.env` file if present).

Nothing set means the embedded default: SQLite in WAL mode, the in-memory
channel layer, in-process background work and the database's own search.
Each URL that is set switches its part to the real service.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment or in .env "
            "(`make run` writes one), or set DEBUG=true for local development."
        )
    SECRET_KEY = "insecure-debug-only-key"  # noqa: S105 - only reachable with DEBUG on

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# Addresses or networks of the proxies in front of the service: only their
# X-Forwarded-For / -Proto / -Host headers are believed (novosphere/proxies.py).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Browser front-ends on other origins (django-cors-headers): `https://app.example.org,...`.
# Their preflights and requests under /api/ get the CORS headers; they authenticate with
# `Authorization: Token ...`, never with cookies (no credentials mode), so no other site
# can ride a session. A session-cookie websocket is accepted from these origins too.
CORS_ALLOWED_ORIGINS = [o.strip().rstrip("/") for o in env.list("CORS_ALLOWED_ORIGINS", default=[]) if o.strip()]
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = ["accept", "accept-language", "authorization", "content-type", "if-none-match",
                      "if-modified-since"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After", "Content-Disposition", "Content-Language"]
CORS_PREFLIGHT_MAX_AGE = 86400

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "django_countries",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "corsheaders",
    "channels",
    "novosphere",
    "profiles",
    "projects",
    "feeds",
    "search",
    "events",
    "moderation",
    "accounts",
    "opendata",
    "federation",
    "delivery",
    "webhooks",
]

MIDDLEWARE = [
    # First: forwarded headers count only from TRUSTED_PROXIES, for everything after it.
    "novosphere.proxies.ForwardedHeadersMiddleware",
    # Before anything that can answer (WhiteNoise, CommonMiddleware): a preflight gets its headers.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # ETag on every read, and a 304 to a matching If-None-Match (after the views and
    # CacheControlMiddleware below have made the answer).
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "novosphere.api.caching.CacheControlMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "novosphere.api.fallback.ApiErrorsMiddleware",
    # Last, so its process_exception runs first: a database or Redis outage is a 503.
    "novosphere.api.errors.UnavailableMiddleware",
]

ROOT_URLCONF = "novosphere.urls"
ASGI_APPLICATION = "novosphere.asgi.application"
WSGI_APPLICATION = "novosphere.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets readers run beside the one writer; IMMEDIATE takes the
            # write lock at BEGIN so concurrent writers queue instead of failing.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # Persistent connections on SQLite too: opening the file and running the
    # PRAGMAs on every websocket database hop cost more than the query itself.
    # A local file cannot drop the connection, so no health check is needed.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
elif env.bool("DATABASE_POOL", default=True):
    # Under ASGI each request runs its sync code in a thread of its own, and
    # connections are per thread: a persistent connection (CONN_MAX_AGE) is
    # never reused there, so every request opened a new one. A pool lends
    # connections across threads (Django closes them back into it).
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=2),
        "max_size": env.int("DATABASE_POOL_MAX", default=20),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10),
        # psycopg_pool retries a lost connection with a doubling delay until this
        # many seconds, and only then lets a request start a fresh attempt: its
        # default (300 s) left a database that came back after a minute unused
        # for about another minute. Short, the service is back within seconds.
        "reconnect_timeout": env.float("DATABASE_POOL_RECONNECT_TIMEOUT", default=10),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # pooled connections cannot also be persistent
    # Each connection is checked as it leaves the pool (one empty round trip): after
    # a database restart every pooled connection is dead, and without the check each
    # would fail one request before being thrown away.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_PREPARED_STATEMENTS", default=True
):
    # The hot reads run the same few statements again and again: PostgreSQL plans a
    # statement run twice on a connection once and reuses the plan (half the
    # database time of a home read). It needs server-side binding. Set
    # DATABASE_PREPARED_STATEMENTS=false behind PgBouncer in transaction mode
    # older than 1.21, which cannot keep prepared statements apart.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=env.int("DATABASE_PREPARE_THRESHOLD", default=2),
    )
# Threads per server process for HTTP requests (novosphere/http_handler.py): enough to
# overlap database waits; more only make requests contend for the interpreter.
HTTP_THREADS = env.int("HTTP_THREADS", default=4)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "profiles.User"

# --- Services that switch on with a URL --------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
ELASTICSEARCH_URL = env.str("ELASTICSEARCH_URL", default="")

# Channel layers forget a group member `group_expiry` seconds after it joined;
# open sockets join their groups again every WS_GROUP_REJOIN_SECONDS (half of
# it), so a connection open for days keeps receiving.
WS_GROUP_EXPIRY = env.int("WS_GROUP_EXPIRY", default=86400)
WS_GROUP_REJOIN_SECONDS = env.float("WS_GROUP_REJOIN_SECONDS", default=WS_GROUP_EXPIRY / 2)

if REDIS_URL:
    from redis.asyncio.retry import Retry as RedisRetry
    from redis.backoff import ExponentialBackoff

    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # Each host dict goes to redis-py's ConnectionPool.from_url. The
                # receive loop blocks in BZPOPMIN for 5 s: a socket timeout of
                # 5 s (redis-py's default) cuts it and kills idle consumers with
                # 1011 (channels_redis#422), so reads may take longer than that.
                # The pool's default cap of 100 raised MaxConnectionsError when
                # thousands of sockets joined their groups at once.
                # `retry`: after Redis restarts, every pooled connection is dead; one
                # retry on a fresh socket spares the first command on each of them a
                # ConnectionError (which would close a socket with 4503 for nothing).
                "hosts": [{
                    "address": REDIS_URL,
                    "retry": RedisRetry(ExponentialBackoff(cap=0.5, base=0.05), 1),
                    "socket_timeout": env.float("CHANNEL_REDIS_SOCKET_TIMEOUT", default=30.0),
                    "socket_connect_timeout": 5,
                    "max_connections": env.int("CHANNEL_REDIS_MAX_CONNECTIONS", default=2000),
                }],
                # All sockets of a process share one Redis inbox: one message per
                # group send per process. At 1,000 queued (channels_redis' default
                # here) a process that falls behind has wake-ups dropped; the sweep
                # (feeds/sweep.py) makes them up, but later.
                "capacity": env.int("CHANNEL_REDIS_CAPACITY", default=10000),
                "expiry": 60,
                "group_expiry": WS_GROUP_EXPIRY,
            },
        }
    }
    # Fails open (a miss, a dropped write) when Redis does not answer: the cache
    # only holds counters and hints, never something a request cannot do without.
    CACHES = {
        "default": {
            "BACKEND": "novosphere.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "novosphere.layers.SweepingInMemoryChannelLayer",
            "CONFIG": {"capacity": 1000, "group_expiry": WS_GROUP_EXPIRY},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Repeated reads under /api/v1/ are answered from their last rendering while no
# write has happened since (novosphere/read_cache.py); at most this old, which
# bounds what time alone changes (an aged entry is served once more while it renders
# again, and dropped at twice this age). 0 turns it off.
READ_CACHE_SECONDS = env.float("READ_CACHE_SECONDS", default=1.0)
READ_CACHE_MAX_ENTRIES = env.int("READ_CACHE_MAX_ENTRIES", default=4096)
READ_CACHE_MAX_BODY = env.int("READ_CACHE_MAX_BODY", default=512 * 1024)
READ_CACHE_MAX_BYTES = env.int("READ_CACHE_MAX_BYTES", default=64 * 1024 * 1024)
READ_CACHE_GENERATION_FILE = env.str("READ_CACHE_GENERATION_FILE", default="")

# Background work (fan-out, indexing): Celery on the Redis broker at scale,
# in-process after commit on the embedded default.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task whose worker died unacknowledged goes back to the queue after this
# many seconds (Redis broker); the fan-out is idempotent, so a redelivery is harmless.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}

# Webhooks (novosphere/outbound.py makes every outside request): private,
# loopback and link-local receivers are refused unless this is true (tests,
# a hub on the same private network).
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
WEBHOOKS_MAX_PER_ACCOUNT = env.int("WEBHOOKS_MAX_PER_ACCOUNT", default=10)

# The delivery outbox (delivery/): webhooks now, federation next.
DELIVERY_TIMEOUT = env.float("DELIVERY_TIMEOUT", default=10.0)  # seconds for one POST, all of it
# Retries: DELIVERY_RETRY_SECONDS, doubled each time up to the maximum, with jitter.
DELIVERY_RETRY_SECONDS = env.float("DELIVERY_RETRY_SECONDS", default=1.0)
DELIVERY_RETRY_MAX_SECONDS = env.float("DELIVERY_RETRY_MAX_SECONDS", default=3600.0)
DELIVERY_DISABLE_AFTER_DAYS = env.float("DELIVERY_DISABLE_AFTER_DAYS", default=3.0)
DELIVERY_LEASE_SECONDS = env.float("DELIVERY_LEASE_SECONDS", default=60.0)
DELIVERY_DRAIN_BATCH = env.int("DELIVERY_DRAIN_BATCH", default=100)
DELIVERY_SWEEP_SECONDS = env.float("DELIVERY_SWEEP_SECONDS", default=30.0)
DELIVERY_SWEEP_GRACE = env.float("DELIVERY_SWEEP_GRACE", default=30.0)
DELIVERY_IN_PROCESS_THREADS = env.int("DELIVERY_IN_PROCESS_THREADS", default=4)

# The outbox (novosphere.publisher): work set off by a commit is a row until it
# is done. Celery beat (`celery -A novosphere worker -B`, or a beat process)
# sweeps every OUTBOX_SWEEP_SECONDS the rows left behind for more than
# OUTBOX_SWEEP_GRACE seconds: a task lost with the broker (a Redis restarted
# empty), a process that died between commit and work, a failed handler
# (retried after OUTBOX_RETRY_SECONDS, doubling up to OUTBOX_RETRY_MAX_SECONDS).
OUTBOX_SWEEP_SECONDS = env.float("OUTBOX_SWEEP_SECONDS", default=60.0)
OUTBOX_SWEEP_GRACE = env.float("OUTBOX_SWEEP_GRACE", default=60.0)
OUTBOX_SWEEP_BATCH = env.int("OUTBOX_SWEEP_BATCH", default=1000)
OUTBOX_LEASE_SECONDS = env.float("OUTBOX_LEASE_SECONDS", default=600.0)
OUTBOX_RETRY_SECONDS = env.float("OUTBOX_RETRY_SECONDS", default=5.0)
OUTBOX_RETRY_MAX_SECONDS = env.float("OUTBOX_RETRY_MAX_SECONDS", default=3600.0)
TOKEN_PRUNE_SECONDS = env.float("TOKEN_PRUNE_SECONDS", default=3600.0)
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "novosphere.tasks.sweep_outbox", "schedule": OUTBOX_SWEEP_SECONDS},
    "search-index-pending": {"task": "search.tasks.index_pending", "schedule": OUTBOX_SWEEP_SECONDS},
    "delivery-sweep": {"task": "delivery.tasks.sweep", "schedule": DELIVERY_SWEEP_SECONDS},
    "accounts-prune-tokens": {"task": "accounts.tasks.prune_tokens", "schedule": TOKEN_PRUNE_SECONDS},
}

# Timelines: streams with more followers than this are merged into home
# timelines at read time instead of being copied to each follower.
FEEDS_FANOUT_MAX_FOLLOWERS = env.int("FEEDS_FANOUT_MAX_FOLLOWERS", default=5000)
FEEDS_FANOUT_BATCH_SIZE = env.int("FEEDS_FANOUT_BATCH_SIZE", default=1000)
# Seconds to rest between fan-out batches, to spare a busy database.
FEEDS_FANOUT_BATCH_PAUSE = env.float("FEEDS_FANOUT_BATCH_PAUSE", default=0.0)

SEARCH_BACKEND = "elasticsearch" if ELASTICSEARCH_URL else "database"

# Open data exports read this many rows per query while they stream.
OPENDATA_BATCH_SIZE = env.int("OPENDATA_BATCH_SIZE", default=500)

# --- Auth --------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Tokens live TOKEN_TTL seconds (30 days) after their last use: each use pushes
# the expiry back, written at most once per TOKEN_RENEW_INTERVAL (an hour) so
# reads stay reads. An unused token dies; an expired one is a 401. Celery beat
# prunes dead tokens every TOKEN_PRUNE_SECONDS (`manage.py prune_tokens` by hand).
TOKEN_TTL = env.int("TOKEN_TTL", default=30 * 86400)
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": timedelta(seconds=TOKEN_TTL),
    "AUTO_REFRESH": True,
    "MIN_REFRESH_INTERVAL": env.int("TOKEN_RENEW_INTERVAL", default=3600),
}

# Keys sent by e-mail: a password reset key works once, for an hour; an address
# verification key works once, for three days.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
EMAIL_VERIFICATION_TIMEOUT = env.int("EMAIL_VERIFICATION_TIMEOUT", default=3 * 86400)

# --- E-mail ----------------------------------------------------------------------
# EMAIL_URL as django-environ reads it: smtp://user:password@host:25,
# smtp+tls://...:587, smtp+ssl://...:465, consolemail:// (the default: printed
# on the server's output), dummymail:// (dropped).
vars().update({
    name: value for name, value in env.email_url("EMAIL_URL", default="consolemail://").items()
    if value not in (None, "")  # Django's own defaults where the URL says nothing
})
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Novosphère <noreply@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "novosphere.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "novosphere.api.pagination.PagePagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "novosphere.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["novosphere.api.parsers.StrictJSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": ["novosphere.api.throttling.ScopedAtomicThrottle"],
}

# Rate limits per scope ("N/second|minute|hour|day"); each can be set in the
# environment, e.g. RATE_LIMIT_REGISTER=5/hour. Exceeding one is a 429 with
# Retry-After (close 4429 on the websocket).
RATE_LIMITS = {
    scope: env.str(f"RATE_LIMIT_{scope.upper()}", default=default)
    for scope, default in {
        # Per address: Mastodon's figure, so a meetup behind one venue's network can
        # sign up together (300 an hour) while a script gets no further.
        "register": "25/5minute",
        # Failed logins only (see novosphere.api.throttling): per account, a guesser
        # gets 80 tries an hour and its victim waits at most 15 minutes; per address,
        # a room of people mistyping passwords stays far below it.
        "login_account": "20/15minute",
        "login_address": "100/5minute",
        # Every request to the account endpoints (password reset and its key,
        # e-mail keys), per address or account.
        "login": "30/minute",
        "follow": "120/minute",
        "collaboration": "30/hour",
        "response": "60/hour",
        "search": "120/minute",
        "report": "30/hour",
        # Per e-mail address asked for (known or not, so a 429 tells nothing).
        "password_reset": "5/hour",
        # Per account: the reset and verification e-mails it is sent.
        "account_email": "5/hour",
        "ws_connect": "60/minute",
    }.items()
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Novosphère API",
    "DESCRIPTION": (
        "The public API of an innovation social network: actors, cities and their peer networks abroad, "
        "projects, collaboration requests, events, feeds and search.\n\n"
        "Authenticate with `Authorization: Token <token>` (from `POST /api/v1/auth/token/`); reads of public "
        "things need none. Answers are JSON in the language of `Accept-Language` (French by default, `en` for "
        "English). Unknown and hidden things are the same 404. The schema itself: [/api/schema/](/api/schema/) "
        "(JSON; `?format=yaml` for YAML).\n\n"
        "**Lists** answer `{results, next}` (plus their own fields, such as `count`); `next` is the URL of the "
        "next page, null on the last one.\n\n"
        "**Caching**: every successful read answers an `ETag`, and a `304` without a body to a matching "
        "`If-None-Match`. Reads without credentials are `Cache-Control: public, no-cache` (any cache may keep "
        "them and revalidates at each use); reads with credentials are `private, no-cache`.\n\n"
        "**Live activity** comes over the websocket `/ws/stream/`: its frames, close codes, resume and "
        "language are described on [the websocket protocol page](/api/docs/websocket/)."
    ),
    "VERSION": "1.0.0",
    # Operations are grouped by area; tests/test_docs.py keeps every operation under one of these.
    "TAGS": [
        {"name": "auth", "description": "Accounts, tokens, sessions and the caller's own profile and data"},
        {"name": "actors", "description": "People, organizations and cities: profiles, members, follows, blocks"},
        {"name": "cities", "description": "Cities and the links to their peer networks abroad"},
        {"name": "projects", "description": "Project pages, members, news posts and streams"},
        {"name": "collaborations", "description": "Collaboration requests, responses and partner suggestions"},
        {"name": "feeds", "description": "The home timeline, notifications and what the caller follows"},
        {"name": "events", "description": "Events, RSVPs and iCalendar feeds"},
        {"name": "territories", "description": "Territories: groups of cities, rolled up through every level"},
        {"name": "map", "description": "The ecosystem map, as GeoJSON"},
        {"name": "search", "description": "Full-text search and autocomplete"},
        {"name": "open data", "description": "Public exports of a city or territory, under an open licence"},
        {"name": "webhooks", "description": "Public streams POSTed to your URL, signed"},
        {"name": "moderation", "description": "Reports, and the moderators' actions (staff accounts)"},
        {"name": "health", "description": "Whether the service can serve"},
    ],
    # Paths are tagged by their first segment after this prefix when a view names no tag.
    "SCHEMA_PATH_PREFIX": r"/api(/v1)?",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "novosphere.api.schema.error_responses",  # the one error shape on every error answer
    ],
    "ENUM_NAME_OVERRIDES": {
        "ActorKindEnum": "profiles.models.Actor.Kind",
        "GroupKindEnum": [("organization", "organization"), ("city", "city")],
        "CollaborationKindEnum": "projects.models.CollaborationRequest.Kind",
        "GroupRoleEnum": "profiles.models.Membership.Role",
        "ProjectRoleEnum": "projects.models.ProjectMember.Role",
        "MembershipStatusEnum": "novosphere.roles.MembershipStatus",
        "VisibilityEnum": "projects.models.Visibility",
        "EventKindEnum": "events.models.Event.Kind",
        "EventPlaceEnum": "events.models.Event.Place",
        "AttendanceStatusEnum": "events.models.Attendance.Status",
        "RemoteAttendanceStatusEnum": "federation.models.RemoteAttendance.Status",
        "CollaborationStatusEnum": "projects.models.CollaborationRequest.Status",
        "ResponseStatusEnum": "projects.models.CollaborationResponse.Status",
        "ReportStatusEnum": "moderation.models.Report.Status",
        "ReportReasonEnum": "moderation.models.Report.Reason",
        "ReportResolutionEnum": "moderation.models.Report.Resolution",
    },
}

# --- Languages ---------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

# --- Static files (the offline API docs) -------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Security ------------------------------------------------------------------
# Production values unless DEBUG is on or LOCAL_HTTP says the service is served
# over plain HTTP on this machine (`make run`, end-to-end tests). Behind a TLS
# proxy, the proxy sets X-Forwarded-Proto.
SERVED_OVER_TLS = not DEBUG and not env.bool("LOCAL_HTTP", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SERVED_OVER_TLS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SERVED_OVER_TLS)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SERVED_OVER_TLS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if SERVED_OVER_TLS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^api/health/$"]  # load balancers probe over plain HTTP
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# One policy on every answer (django-csp): the API's JSON needs nothing, the
# offline docs (Swagger UI from drf-spectacular-sidecar, its settings script
# served as a file) and the admin load their scripts and styles from here only;
# no inline script, no other origin, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        # Swagger UI sets style attributes from its scripts.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# What recurring events may cost readers: entries in one dated list of events,
# and recurring series per organizer (bench/recurring_events.py).
EVENTS_MAX_OCCURRENCES_PER_LIST = env.int("EVENTS_MAX_OCCURRENCES_PER_LIST", default=1000)
EVENTS_MAX_RECURRING_PER_ORGANIZER = env.int("EVENTS_MAX_RECURRING_PER_ORGANIZER", default=20)
# JSON bodies and websocket frames nest at most this deep (ours need 4).
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)

# --- Logging: one line per event ---------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# Every app of the project (each a folder of this checkout), whatever is added later.
PROJECT_APPS = [name for name in INSTALLED_APPS if "." not in name and (BASE_DIR / name / "apps.py").exists()]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A traceback or a user's text with newlines stays on its event's line.
    "formatters": {"line": {"()": "novosphere.logs.OneLineFormatter",
                            "format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        **{app: {"level": LOG_LEVEL} for app in PROJECT_APPS},
        "django.request": {"level": "ERROR"},
    },
}

# --- Links to the web front end --------------------------------------------------
# Where people read things (a calendar event's URL points there): FRONTEND_URL plus
# FRONTEND_EVENT_PATH, `{slug}` standing for the event's slug. Unset: the API's own URL.
FRONTEND_URL = env.str("FRONTEND_URL", default="").rstrip("/")
FRONTEND_EVENT_PATH = env.str("FRONTEND_EVENT_PATH", default="/events/{slug}/")
if FRONTEND_URL and not FRONTEND_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("FRONTEND_URL must be an http:// or https:// URL, such as https://rennes.example.org")
if not FRONTEND_EVENT_PATH.startswith("/") or "{slug}" not in FRONTEND_EVENT_PATH:
    raise ImproperlyConfigured("FRONTEND_EVENT_PATH must start with / and hold {slug}, such as /events/{slug}/")

# --- Federation (ActivityPub) -------------------------------------------------
# The instance's own base URL: every ActivityPub id and link is built from it.
PUBLIC_URL = env.str("PUBLIC_URL", default="http://127.0.0.1:8000").rstrip("/")
# Instances on private and loopback addresses over plain HTTP (tests, a LAN).
FEDERATION_ALLOW_PRIVATE = env.bool("FEDERATION_ALLOW_PRIVATE", default=False)
# Domains whose deliveries are dropped and to which nothing is sent (moderators
# add more through the API and the admin).
FEDERATION_BLOCKED_DOMAINS = [d.lower() for d in env.list("FEDERATION_BLOCKED_DOMAINS", default=[])]
# Bytes an inbox reads at most; a larger body is refused before it is parsed.
FEDERATION_INBOX_MAX_BYTES = env.int("FEDERATION_INBOX_MAX_BYTES", default=256 * 1024)
# A signature is good this long after its Date, and a Date this far in the future
# is tolerated (Mastodon: 12 hours and 1 hour).
FEDERATION_SIGNATURE_MAX_AGE = env.int("FEDERATION_SIGNATURE_MAX_AGE", default=12 * 3600)
FEDERATION_CLOCK_SKEW = env.int("FEDERATION_CLOCK_SKEW", default=3600)
# A remote actor's document is fetched again once it is older than this.
FEDERATION_ACTOR_REFRESH_SECONDS = env.int("FEDERATION_ACTOR_REFRESH_SECONDS", default=24 * 3600)

# --- Live stream (websocket) -------------------------------------------------
WS_FRAMES_PER_SECOND = env.float("WS_FRAMES_PER_SECOND", default=10.0)
WS_FRAME_BURST = env.int("WS_FRAME_BURST", default=30)
WS_MAX_FRAME_BYTES = env.int("WS_MAX_FRAME_BYTES", default=4096)
WS_RESUME_LIMIT = env.int("WS_RESUME_LIMIT", default=500)
# How often each process looks for activity whose wake-up its sockets never got
# (a channel layer drops them when overloaded); see feeds/sweep.py.
WS_SWEEP_SECONDS = env.float("WS_SWEEP_SECONDS", default=5.0)
WS_MAX_SUBSCRIPTIONS = env.int("WS_MAX_SUBSCRIPTIONS", default=50)
# Accept clients' permessage-deflate offers (novosphere/wsserver.py): fewer bytes on
# the wire, but every frame is then compressed once per socket instead of framed once.
WS_PERMESSAGE_DEFLATE = env.bool("WS_PERMESSAGE_DEFLATE", default=False)

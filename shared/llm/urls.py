"""Where a remote chat model lives: LLM_BASE_URL, else OLLAMA_HOST read the way Ollama reads it.

Pure functions (no I/O), so the accepted forms are unit-tested without a server.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

OLLAMA_DEFAULT_PORT = 11434


def ollama_host_url(value: str) -> str:
    """``OLLAMA_HOST`` as a base URL, with Ollama's defaults.

    No scheme means ``http`` and port 11434; an explicit ``http://``/``https://`` without a port
    means that scheme's port (80/443), as Ollama's own client does. An empty host is 127.0.0.1.
    ``"ollama"`` -> ``http://ollama:11434``; ``"https://llm.example"`` -> ``https://llm.example:443``.
    """
    text = value.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest, default_port = "http", text, OLLAMA_DEFAULT_PORT
    else:
        scheme = scheme.lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"OLLAMA_HOST has an unsupported scheme: {scheme!r}")
        default_port = 443 if scheme == "https" else 80
    hostport, _, path = rest.partition("/")
    host, port = _split_host_port(hostport)
    host = host or "127.0.0.1"
    port = port if port is not None else default_port
    if ":" in host:  # an IPv6 literal goes back into brackets
        host = f"[{host}]"
    return urlunsplit((scheme, f"{host}:{port}", f"/{path}".rstrip("/"), "", ""))


def _split_host_port(hostport: str) -> tuple[str, int | None]:
    if hostport.startswith("["):  # [v6] or [v6]:port
        host, _, tail = hostport[1:].partition("]")
        return host, _port(tail[1:]) if tail.startswith(":") else None
    if hostport.count(":") > 1:  # a bare IPv6 literal, no port
        ipaddress.IPv6Address(hostport)
        return hostport, None
    host, sep, port = hostport.partition(":")
    return host, _port(port) if sep else None


def _port(text: str) -> int:
    port = int(text)
    if not 0 < port < 65536:
        raise ValueError(f"port out of range: {port}")
    return port


def normalize_base_url(url: str) -> str:
    """``url`` without a trailing slash or a trailing ``/v1`` (both forms are accepted)."""
    base = url.strip().rstrip("/")
    if base.endswith("/v1"):
        base = base[: -len("/v1")]
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("LLM_BASE_URL must be an http(s) URL")
    return base


def resolve_base_url(llm_base_url: str | None, ollama_host: str | None) -> str | None:
    """The remote server's base URL (no ``/v1``), or None for the embedded model."""
    if llm_base_url and llm_base_url.strip():
        return normalize_base_url(llm_base_url)
    if ollama_host and ollama_host.strip():
        return normalize_base_url(ollama_host_url(ollama_host))
    return None


def display_url(url: str) -> str:
    """``url`` without user info, query or fragment: safe for logs and error messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

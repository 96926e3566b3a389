"""The soak's load: ``python -m bench._soak_load CONFIG.json OUT.jsonl``, locust used as a library.

Runs in its own process because importing locust monkey-patches the standard library with gevent
(sockets, threads, ``subprocess``), which the soak's controller (services, devhost, signals) must
not inherit. Each route is a locust user class with a fixed number of users and a
``constant_throughput`` wait time, so the offered rate stays the same whether the app is healthy
or a dependency is down. Every request becomes one JSON line in OUT (start time, route, status,
milliseconds; 0 for no response); the checks the controller needs ride along:

- ``predict``: each call has a new ``Idempotency-Key``; it is sent again at once (a deliberate
  retry), and a key answered 2xx some seconds ago is sent again too: every retry answered 2xx
  must be the first answer byte for byte (``retry`` lines with ``same``);
- ``job``: an upload, a speech job on it with an ``Idempotency-Key``, the submission retried
  (the same job id is expected); ``job`` lines carry the job id for the controller's checks.

CONFIG: ``base_url`` (ending in ``/api``), ``headers`` (function key and bearer),
``predict_headers`` (API key), ``rates`` (route -> requests/s), ``pdf`` (a path), ``stop_file``
(the load stops once it exists) and ``max_seconds`` (a bound in case the controller dies).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import time
import uuid
from typing import Any

from locust import HttpUser, constant_throughput, events, task
from locust.env import Environment

from bench._soak_payloads import PREDICT_BODY

CONFIG: dict[str, Any] = {}
RECORDS: list[dict[str, Any]] = []
TIMEOUT = 60
CHAT_TIMEOUT = 180  # a reply on a shared 2-core machine, behind speech jobs, can take a minute


def on_request(name: str, response_time: float, response: Any, start_time: float, **_: Any) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    line: dict[str, Any] = {"t": start_time, "route": name, "status": status, "ms": response_time}
    if status >= 500:
        headers = getattr(response, "headers", {}) or {}
        # RFC 9457 problem+json, or the OpenAI error object under /v1: both are documented.
        text = getattr(response, "text", "") or ""
        line["problem"] = str(headers.get("content-type", "")).startswith(
            "application/problem"
        ) or text.startswith('{"error"')
        line["retry_after"] = "retry-after" in {k.lower() for k in headers}
        line["body"] = text[:300]
    RECORDS.append(line)


def note(kind: str, **fields: Any) -> None:
    RECORDS.append({"kind": kind, "t": time.time(), **fields})


class SoakUser(HttpUser):
    """Common headers and timeout; ``rate`` requests/s per user (set per class below)."""

    abstract = True

    def call(self, method: str, path: str, route: str, **kwargs: Any) -> Any:
        headers = {**CONFIG["headers"], **kwargs.pop("headers", {})}
        timeout = kwargs.pop("timeout", TIMEOUT)
        return self.client.request(
            method, path, name=route, headers=headers, timeout=timeout, **kwargs
        )


class Embeddings(SoakUser):
    @task
    def embed(self) -> None:
        self.call("POST", "/embeddings", "embeddings", json={"texts": [f"soak {uuid.uuid4()}"]})


class Predict(SoakUser):
    """First call, an immediate retry, and a retry of an older key."""

    answered: list[tuple[float, str, str]] = []  # (time, key, sha256 of the first 2xx body)

    def send(self, key: str) -> Any:
        headers = {**CONFIG["predict_headers"], "Idempotency-Key": f'"{key}"'}
        return self.client.post(
            "/predict", name="predict", json=PREDICT_BODY, headers=headers, timeout=TIMEOUT
        )

    def retry(self, key: str, first: str) -> None:
        again = self.send(key)
        if 200 <= again.status_code < 300:
            same = hashlib.sha256(again.content).hexdigest() == first
            note("retry", route="predict", key=key, same=same, status=again.status_code)

    @task
    def predict(self) -> None:
        key = uuid.uuid4().hex
        first = self.send(key)
        if not 200 <= first.status_code < 300:
            note("unanswered", route="predict", key=key, status=first.status_code)
            return
        digest = hashlib.sha256(first.content).hexdigest()
        note("answered", route="predict", key=key, sha256=digest)
        self.retry(key, digest)
        now = time.time()
        older = [a for a in Predict.answered if 5 < now - a[0] < 60]
        if older:
            _, old_key, old_digest = random.choice(older)
            self.retry(old_key, old_digest)
        Predict.answered.append((now, key, digest))
        del Predict.answered[:-200]


class Chat(SoakUser):
    @task
    def chat(self) -> None:
        body = {"message": "Say hello.", "options": {"max_tokens": 8}}
        self.call("POST", "/chat", "chat", json=body, timeout=CHAT_TIMEOUT)


class Speech(SoakUser):
    @task
    def speak(self) -> None:
        text = f"Soak test number {random.randrange(10**6)}."
        self.call(
            "POST", "/v1/audio/speech", "speech", json={"input": text, "response_format": "wav"}
        )


def upload(user: SoakUser, route: str) -> str | None:
    # A nonce after the PDF's end makes every upload new (uploads are deduplicated by content).
    data = CONFIG["pdf_bytes"] + f"\n%{uuid.uuid4().hex}\n".encode()
    response = user.call("POST", "/media/upload", route, files={"file": ("soak.pdf", data)})
    if response.status_code in (200, 201):
        return str(response.json()["id"])
    return None


class Upload(SoakUser):
    @task
    def upload(self) -> None:
        upload(self, "upload")


class Job(SoakUser):
    """Upload, submit a speech job with a key, resubmit: the same job id; poll a job."""

    submitted: list[str] = []

    @task
    def submit(self) -> None:
        file_id = upload(self, "job-upload")
        if file_id is None:
            return
        headers = {"Idempotency-Key": f'"{uuid.uuid4().hex}"'}
        path = f"/media/{file_id}/speech"
        first = self.call("POST", path, "job", json={}, headers=headers)
        if first.status_code != 202:
            return
        job_id = str(first.json()["id"])
        note("job", id=job_id)
        Job.submitted.append(job_id)
        again = self.call("POST", path, "job", json={}, headers=headers)
        if again.status_code == 202:
            note("job-retry", id=job_id, same=again.content == first.content)

    @task
    def poll(self) -> None:
        if Job.submitted:
            self.call("GET", f"/jobs/{random.choice(Job.submitted[-20:])}", "job-status")


CLASSES: dict[str, type[SoakUser]] = {
    "embeddings": Embeddings,
    "predict": Predict,
    "chat": Chat,
    "speech": Speech,
    "upload": Upload,
    "job": Job,
}


def configure(config: dict[str, Any]) -> list[type[SoakUser]]:
    """One user per route at its rate (two where one would have to be faster than 1/s)."""
    CONFIG.update(config)
    with open(config["pdf"], "rb") as source:
        CONFIG["pdf_bytes"] = source.read()
    chosen = []
    for route, rate in config["rates"].items():
        cls = CLASSES[route]
        users = 2 if rate > 1 else 1
        cls.fixed_count = users
        cls.wait_time = constant_throughput(rate / users)
        chosen.append(cls)
    return chosen


def main(config_path: str, out_path: str) -> int:
    with open(config_path, encoding="utf-8") as source:
        config = json.load(source)
    classes = configure(config)
    env = Environment(user_classes=list(classes), host=config["base_url"], events=events)
    env.events.request.add_listener(on_request)
    runner = env.create_local_runner()
    runner.start(sum(c.fixed_count for c in classes), spawn_rate=100)
    import gevent

    def stop_when_told() -> None:
        deadline = time.monotonic() + float(config["max_seconds"])
        while not os.path.exists(config["stop_file"]) and time.monotonic() < deadline:
            gevent.sleep(0.5)
        runner.quit()

    gevent.spawn(stop_when_told)
    runner.greenlet.join()
    with open(out_path, "w", encoding="utf-8") as out:
        for line in RECORDS:
            out.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

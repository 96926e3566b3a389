"""devhost start-up: settings precedence, the function table, refusing what it cannot serve."""

import json
import shutil
import socket
import subprocess
import sys
import time

import httpx
import pytest

from devhost.testing import DevhostError, start_devhost
from tests.e2e.devhost.support import APPS, REPO_ROOT

SETTINGS_APP = """
import os

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="env/{name}", methods=["GET"])
def env(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(os.environ.get(req.route_params["name"], "<unset>"))
"""


def _write_app(
    root, settings_file: str, values: dict[str, str], host: dict[str, int] | None = None
) -> None:
    root.mkdir(exist_ok=True)
    (root / "function_app.py").write_text(SETTINGS_APP, encoding="utf-8")
    (root / "host.json").write_text(json.dumps({"version": "2.0"}), encoding="utf-8")
    settings = {"IsEncrypted": False, "Values": values, "Host": host or {}}
    (root / settings_file).write_text(json.dumps(settings), encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_sample_settings_are_used_when_local_settings_are_absent(tmp_path):
    root = tmp_path / "app"
    _write_app(root, "local.settings.sample.json", {"FROM_SAMPLE": "sample", "OVERRIDDEN": "file"})
    devhost = start_devhost(root, env={"OVERRIDDEN": "environment"})
    try:
        assert httpx.get(f"{devhost.base_url}/api/env/FROM_SAMPLE").text == "sample"
        # Variables already in the environment win over the settings file.
        assert httpx.get(f"{devhost.base_url}/api/env/OVERRIDDEN").text == "environment"
        assert "Functions:\n  env: [GET] " in devhost.output()
        assert "Press Ctrl+C to stop" in devhost.output()
    finally:
        assert devhost.stop() == 0


def test_local_settings_win_over_sample_and_set_the_port(tmp_path):
    root = tmp_path / "app"
    _write_app(root, "local.settings.sample.json", {"WHICH": "sample"})
    port = _free_port()
    _write_app(root, "local.settings.json", {"WHICH": "local"}, host={"LocalHttpPort": port})
    command = [sys.executable, "-m", "devhost", "--script-root", str(root)]
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        url = f"http://127.0.0.1:{port}/api/env/WHICH"
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(url)
                break
            except httpx.ConnectError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"devhost did not listen on port {port}")
                time.sleep(0.05)
        assert response.text == "local"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
    assert process.returncode == 0, output


def test_unsupported_binding_is_refused_at_start():
    with pytest.raises(DevhostError) as error:
        start_devhost(APPS / "unsupported_app")
    message = str(error.value)
    assert "every_five_minutes" in message
    assert "timerTrigger" in message
    assert "not supported by devhost" in message


def test_queue_name_setting_must_exist(tmp_path):
    root = tmp_path / "app"
    shutil.copytree(APPS / "queue_app", root)
    with pytest.raises(DevhostError) as error:
        start_devhost(root, env={"AzureWebJobsStorage": "UseDevelopmentStorage=true"})
    assert "RECORD_QUEUE" in str(error.value)
    assert "not set" in str(error.value)


def test_the_apps_log_level_leaves_the_hosts_own_lines_alone():
    # given the platform's app with LOG_LEVEL=WARNING (the soak runs it so): the app's loggers
    # go quiet, but the host's lines follow host.json, as the real host's do
    devhost = start_devhost(REPO_ROOT, port=_free_port(), env={"LOG_LEVEL": "WARNING"})
    try:
        # then it still says where it listens and which functions it serves
        assert "Listening on http://127.0.0.1:" in devhost.output()
        assert "health: [GET] " in devhost.output()
        assert httpx.get(f"{devhost.base_url}/api/health", timeout=30).status_code == 200
    finally:
        assert devhost.stop() == 0

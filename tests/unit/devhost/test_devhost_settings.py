"""Settings parsing: TimeSpans, queue options, local settings precedence."""

import json
import logging

import pytest

from devhost.settings import (
    QueueOptions,
    SettingsError,
    apply_settings,
    load_host_config,
    load_local_settings,
    parse_timespan,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("00:00:01", 1),
        ("00:01:00", 60),
        ("01:00:00", 3600),
        ("1.00:00:00", 86400),
        ("00:00:00.5", 0.5),
    ],
)
def test_parse_timespan(text, seconds):
    assert parse_timespan(text) == seconds


def test_parse_timespan_rejects_garbage():
    with pytest.raises(SettingsError):
        parse_timespan("5s")


def test_queue_options_defaults_are_the_documented_host_defaults():
    options = QueueOptions.from_json({})
    assert options == QueueOptions(
        batch_size=16,
        new_batch_threshold=8,
        max_polling_interval=60,
        visibility_timeout=0,
        max_dequeue_count=5,
        message_encoding="base64",
    )
    assert QueueOptions.from_json({"batchSize": 4}).new_batch_threshold == 2


@pytest.mark.parametrize(
    "raw",
    [{"batchSize": 0}, {"batchSize": 33}, {"maxDequeueCount": 0}, {"messageEncoding": "utf8"}],
)
def test_queue_options_out_of_range(raw):
    with pytest.raises(SettingsError):
        QueueOptions.from_json(raw)


def test_host_config(tmp_path):
    host = {
        "version": "2.0",
        "logging": {"logLevel": {"default": "Warning"}},
        "extensions": {"http": {"routePrefix": "/v1/"}, "queues": {"maxDequeueCount": 2}},
    }
    (tmp_path / "host.json").write_text(json.dumps(host))
    config = load_host_config(tmp_path)
    assert config.route_prefix == "v1"
    assert config.queues.max_dequeue_count == 2
    assert config.log_level == logging.WARNING


def test_missing_host_json_gives_defaults(tmp_path):
    assert load_host_config(tmp_path).route_prefix == "api"


def test_local_settings_precedence(tmp_path):
    (tmp_path / "local.settings.sample.json").write_text(json.dumps({"Values": {"A": "sample"}}))
    assert load_local_settings(tmp_path).values == {"A": "sample"}
    (tmp_path / "local.settings.json").write_text(
        json.dumps({"Values": {"A": "local", "N": 3, "B": True}, "Host": {"LocalHttpPort": 7072}})
    )
    local = load_local_settings(tmp_path)
    assert local.values == {"A": "local", "N": "3", "B": "True"}
    assert local.local_http_port == 7072
    environ = {"A": "env"}
    assert apply_settings(local.values, environ) == ["N", "B"]
    assert environ == {"A": "env", "N": "3", "B": "True"}


def test_encrypted_settings_are_refused(tmp_path):
    (tmp_path / "local.settings.json").write_text(json.dumps({"IsEncrypted": True, "Values": {}}))
    with pytest.raises(SettingsError):
        load_local_settings(tmp_path)

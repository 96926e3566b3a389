"""Queue test app for devhost: records deliveries to the JSON-lines file DEVHOST_TEST_RECORD_FILE.

Queue names come from app settings (%...%) so every test run uses its own queues.
"""

import json
import os
import time

import azure.functions as func

app = func.FunctionApp()


def _record(function: str, msg: func.QueueMessage, event: str) -> None:
    line = {
        "function": function,
        "event": event,
        "id": msg.id,
        "body": msg.get_body().decode("utf-8"),
        "dequeue_count": msg.dequeue_count,
        "has_times": None not in (msg.insertion_time, msg.expiration_time, msg.time_next_visible),
        "pop_receipt": bool(msg.pop_receipt),
        "at": time.time(),
    }
    with open(os.environ["DEVHOST_TEST_RECORD_FILE"], "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")


@app.queue_trigger(arg_name="msg", queue_name="%RECORD_QUEUE%", connection="AzureWebJobsStorage")
def record(msg: func.QueueMessage) -> None:
    _record("record", msg, "delivered")


@app.queue_trigger(arg_name="msg", queue_name="%FAIL_QUEUE%", connection="AzureWebJobsStorage")
def always_fails(msg: func.QueueMessage) -> None:
    _record("always_fails", msg, "delivered")
    raise RuntimeError("always_fails: deliberate failure")


@app.queue_trigger(arg_name="msg", queue_name="%SLEEP_QUEUE%", connection="AzureWebJobsStorage")
def sleepy(msg: func.QueueMessage) -> None:
    """Body {"seconds": N, "first_only": bool}: sleep N s (on the first delivery only, if asked)."""
    spec = msg.get_json()
    _record("sleepy", msg, "start")
    if not spec.get("first_only") or msg.dequeue_count == 1:
        time.sleep(float(spec["seconds"]))
    _record("sleepy", msg, "end")


@app.route(route="status", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def status(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("up")

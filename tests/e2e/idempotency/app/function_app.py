"""Test app for the idempotency end-to-end tests: one authenticated POST endpoint declared with
``Api``, idempotent with a required ``Idempotency-Key``.

Each real execution mints a new id, so a replay is recognisable: it carries the first id.
"""

import uuid

import azure.functions as func
from pydantic import BaseModel

from shared.http.api import Api, Reply
from shared.idempotency import IdempotencyConfig

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
api = Api(tags=("things",))


class ThingIn(BaseModel):
    name: str


class ThingOut(BaseModel):
    id: str
    name: str


@api.post(
    "things",
    "Create a thing",
    status=201,
    response=ThingOut,
    idempotency=IdempotencyConfig(required=True, ttl_seconds=120),
)
def create_thing(body: ThingIn) -> Reply:
    made = ThingOut(id=str(uuid.uuid4()), name=body.name)
    return Reply(made, status=201, headers={"Location": f"/api/things/{made.id}"})


app.register_functions(api.blueprint)

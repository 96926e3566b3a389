"""Test app for the idempotency end-to-end tests: one POST endpoint behind @endpoint + @idempotent.

Each real execution mints a new id, so a replay is recognisable: it carries the first id.
"""

import uuid

import azure.functions as func
from pydantic import BaseModel

from shared.http import endpoint, json_response, parse_body
from shared.idempotency import idempotent

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)


class ThingIn(BaseModel):
    name: str


class ThingOut(BaseModel):
    id: str
    name: str


@app.route(route="things", methods=["POST"])
@endpoint("Create a thing", request=ThingIn, response=ThingOut, status=201)
@idempotent(required=True, ttl_seconds=120)
def create_thing(req: func.HttpRequest) -> func.HttpResponse:
    thing = parse_body(req, ThingIn)
    made = ThingOut(id=str(uuid.uuid4()), name=thing.name)
    return json_response(made, status=201, headers={"Location": f"/api/things/{made.id}"})

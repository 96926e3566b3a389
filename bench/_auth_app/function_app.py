"""The app ``python -m bench auth`` serves through devhost: one trivial endpoint declared twice,
once the way this project declares every endpoint (anonymous at the host, the app authenticates
the caller: one credential) and once behind the host's function key as well (the previous path:
``x-functions-key`` checked by the host, then the caller's credential by the app)."""

import azure.functions as func

from shared.auth import Principal
from shared.http.api import Api

api = Api(described=False)


def one_credential(caller: Principal) -> dict[str, str]:
    return {"owner": caller.owner}


def with_function_key(caller: Principal) -> dict[str, str]:
    return {"owner": caller.owner}


api.get("one-credential", "the caller's credential only")(one_credential)
api.get("function-key", "the host's function key, then the caller's credential", host_key=True)(
    with_function_key
)

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(api.blueprint)

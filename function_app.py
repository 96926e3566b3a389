"""The Azure Functions entry point: create the app and register one blueprint per feature.

Importing this module must stay cheap: no model is loaded and no connection is opened here
(serverless cold starts are paid by users). Everything heavy is created lazily on first use.
"""

import azure.functions as func

from functions import discovery, health

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in (health.bp, discovery.bp):
    app.register_functions(blueprint)

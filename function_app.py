"""The Azure Functions entry point: create the app and register one blueprint per feature.

Importing this module must stay cheap: no model is loaded and no connection is opened here
(serverless cold starts are paid by users). Everything heavy is created lazily on first use.
"""

import azure.functions as func

from functions import (
    auth,
    chat,
    classify,
    console,
    core,
    discovery,
    embeddings,
    health,
    jobs,
    media,
    media_collections,
    ml,
    models,
    rerank,
    trading,
    vectors,
    voice,
)

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)

for blueprint in (
    health.bp,
    discovery.bp,
    console.bp,
    auth.bp,
    jobs.bp,
    media.bp,
    media_collections.bp,
    embeddings.bp,
    models.bp,
    rerank.bp,
    classify.bp,
    vectors.bp,
    ml.bp,
    trading.bp,
    voice.bp,
    chat.bp,
    core.bp,
):
    app.register_functions(blueprint)

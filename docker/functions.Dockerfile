# syntax=docker/dockerfile:1
# The function app on the official Azure Functions Python image (compose.yaml's "api" service).
#   models: the text models, built by the same step as `make models` (python -m shared.inference.build)
#   console: the web console bundled by Vite from console/package-lock.json (npm ci), as `make console`
#   deps:   the runtime packages (requirements.txt), installed where the Python worker looks on
#           Azure (.python_packages/lib/site-packages on PYTHONPATH)
#   final:  the host + app code + models, running as an unprivileged user on port 8080
# Build from the repository root: docker build -f docker/functions.Dockerfile .
ARG FUNCTIONS_IMAGE=mcr.microsoft.com/azure-functions/python:4-python3.11-slim
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${PYTHON_IMAGE} AS models
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
# llama-cpp-python (requirements.txt) has no Linux wheel: it compiles here, for any x86-64 CPU.
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
 && rm -rf /var/lib/apt/lists/*
ENV CMAKE_ARGS=-DGGML_NATIVE=OFF
COPY requirements.txt requirements-build.txt ./
# torch comes from the CPU-only index: the default wheel pulls gigabytes of CUDA libraries.
RUN pip install --index-url https://download.pytorch.org/whl/cpu "$(grep -E '^torch==' requirements-build.txt)" \
 && pip install -r requirements-build.txt
COPY shared/ shared/
RUN python -m shared.inference.build --models-dir /models

FROM ${NODE_IMAGE} AS console
WORKDIR /src/console
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY console/index.html console/vite.config.js ./
COPY console/src/ src/
RUN npm run build

FROM ${FUNCTIONS_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# llama-cpp-python (requirements.txt) has no Linux wheel: it compiles here, for any x86-64 CPU.
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
 && rm -rf /var/lib/apt/lists/*
ENV CMAKE_ARGS=-DGGML_NATIVE=OFF
COPY requirements.txt requirements-nodeps.txt /tmp/
RUN pip install --target /install -r /tmp/requirements.txt \
 && pip install --target /install --no-deps -r /tmp/requirements-nodeps.txt

FROM ${FUNCTIONS_IMAGE}
ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true \
    ASPNETCORE_URLS=http://+:8080 \
    AzureWebJobsSecretStorageType=files \
    FUNCTIONS_SECRETS_PATH=/home/site/secrets \
    PYTHONPATH=/home/site/wwwroot/.python_packages/lib/site-packages \
    PYTHONDONTWRITEBYTECODE=1 \
    MODELS_DIR=/models
# llama.cpp's CPU backend links OpenMP's runtime.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*
# Only HOME (host scratch files) and the key folder belong to the app user; code stays read-only.
RUN useradd --system --uid 10001 --no-create-home --home-dir /home --shell /usr/sbin/nologin app \
 && mkdir -p /home/site/secrets \
 && chown -R app /home
COPY --from=deps /install /home/site/wwwroot/.python_packages/lib/site-packages
COPY --from=models /models /models
COPY host.json function_app.py /home/site/wwwroot/
COPY functions/ /home/site/wwwroot/functions/
COPY shared/ /home/site/wwwroot/shared/
COPY --from=console /src/console/dist /home/site/wwwroot/console/dist/
COPY docker/functions-entrypoint.sh /usr/local/bin/functions-entrypoint
USER 10001
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/functions-entrypoint"]
CMD ["/opt/startup/start_nonappservice.sh"]

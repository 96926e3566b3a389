# syntax=docker/dockerfile:1
# The Container Apps jobs (python -m jobs run <kind>), the migrations (python -m shared.stores.migrate)
# and, in compose.yaml, devhost's job scaler alone (python -m devhost.scale) and the Redis ACL file
# (python -m shared.stores.redis_acl --acl-file).
#   models: the text models, built by the same step as `make models` (python -m shared.inference.build)
#   deps:   a virtual environment with the runtime packages (requirements.txt)
#   final:  slim Python + the venv + the code the jobs run + models, as an unprivileged user
# Build from the repository root: docker build -f docker/jobs.Dockerfile .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

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

FROM ${PYTHON_IMAGE} AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# llama-cpp-python (requirements.txt) has no Linux wheel: it compiles here, for any x86-64 CPU.
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
 && rm -rf /var/lib/apt/lists/*
ENV CMAKE_ARGS=-DGGML_NATIVE=OFF
COPY requirements.txt requirements-nodeps.txt /tmp/
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install -r /tmp/requirements.txt \
 && /opt/venv/bin/pip install --no-deps -r /tmp/requirements-nodeps.txt

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MODELS_DIR=/models
# llama.cpp's CPU backend links OpenMP's runtime.
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app
# compose.yaml's redis-acl service writes the Redis ACL file here, into an empty named volume,
# which takes this directory's owner: the app user may write it, nobody else may read it.
RUN install -d -o app -g app -m 0700 /acl
COPY --from=deps /opt/venv /opt/venv
COPY --from=models /models /models
WORKDIR /app
COPY shared/ shared/
COPY jobs/ jobs/
COPY devhost/__init__.py devhost/scaler.py devhost/scale.py devhost/
USER 10001
CMD ["python", "-m", "jobs", "--help"]

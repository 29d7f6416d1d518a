# syntax=docker/dockerfile:1
#
# One image for every CONNECT process: `connect api` (default), `connect worker`, `connect migrate`.
# docker-compose.yml builds it once (on the `migrate` service) and runs it three ways.
#
#   docker build -t connect:latest .
#   docker run --rm -p 8000:8000 --env-file .env connect:latest            # web/API
#   docker run --rm --env-file .env connect:latest connect worker          # Temporal worker

ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:22-slim

# --- 1. front-end assets (USWDS, htmx, Swagger UI) from package.json / package-lock.json -------------
FROM ${NODE_IMAGE} AS assets
WORKDIR /assets
COPY package.json package-lock.json ./
# --ignore-scripts: we only need the packages' prebuilt dist/ files, never their install hooks
# (swagger-ui-dist pulls in @scarf/scarf, whose postinstall phones home).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && test -d node_modules/@uswds/uswds/dist \
 && test -d node_modules/htmx.org/dist \
 && test -d node_modules/swagger-ui-dist

# --- 2. the Python package and its dependencies, in a virtualenv we copy into the final image ---------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# .dockerignore keeps .venv, node_modules, var/, tests and secrets out of this context.
COPY . .
RUN /opt/venv/bin/pip install .

# --- 3. runtime ---------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    VAR_DIR=/app/var \
    ENVIRONMENT=production

RUN groupadd --system --gid 10001 connect \
 && useradd --system --uid 10001 --gid connect --home-dir /app --no-create-home \
            --shell /usr/sbin/nologin connect

COPY --from=build /opt/venv /opt/venv
COPY --from=assets /assets/node_modules/@uswds/uswds/dist /app/node_modules/@uswds/uswds/dist
COPY --from=assets /assets/node_modules/htmx.org/dist /app/node_modules/htmx.org/dist
COPY --from=assets /assets/node_modules/swagger-ui-dist /app/node_modules/swagger-ui-dist

# api/app.py looks for node_modules/ next to its own package directory (the repo root in a checkout).
# Installed with `pip install .`, that directory is site-packages, so point it at /app/node_modules.
# /app/var is created here, owned by `connect`, so a named volume mounted on it inherits that owner.
RUN site_packages="$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" \
 && ln -s /app/node_modules "$site_packages/node_modules" \
 && mkdir -p /app/var/uploads \
 && chown -R connect:connect /app/var

WORKDIR /app
USER connect
EXPOSE 8000
CMD ["connect", "api"]

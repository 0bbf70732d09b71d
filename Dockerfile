# One image for every anchang service; compose chooses the command per service
# (e.g. `nameko run --config config.yaml services.leads.service`).

# the console's front-end files, from the npm registry as pinned in console/package-lock.json
FROM node:20-slim AS console-assets
WORKDIR /assets
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ANCHANG_VAR_DIR=/app/var

WORKDIR /app

# dependencies first: this layer is rebuilt only when requirements.txt changes
COPY requirements.txt ./
RUN pip install -r requirements.txt

# the code, installed as a package for the `anchang` operator command
COPY . .
COPY --from=console-assets /assets/node_modules console/node_modules
RUN pip install --no-deps . \
    && rm -rf build *.egg-info

# run as an unprivileged user; only var/ (the embedded SQLite default) is writable
RUN groupadd --system anchang \
    && useradd --system --gid anchang --home-dir /app --no-create-home anchang \
    && mkdir -p /app/var \
    && chown anchang:anchang /app/var
USER anchang

EXPOSE 8000 8001
CMD ["nameko", "run", "--config", "config.yaml", "gateway.service"]

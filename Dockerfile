# syntax=docker/dockerfile:1
# taskflow: one image for every role (--role=scheduler|coordinator|worker|all).
#   docker build -t taskflow .
#   docker run --rm -e TASKFLOW_TOKEN=... -p 127.0.0.1:8080:8080 taskflow   (all roles, embedded database)
# compose.yaml runs the roles as separate services; docs/deploy.md explains both.

# ---- build: install with the frozen lockfile, compile one self-contained executable.
# Node brings npm for `npm ci`; Bun itself comes from the lockfile (the `bun` devDependency).
FROM node:24-trixie-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# npm ci's postinstall applies these patches to dependencies (patch-package).
COPY patches ./patches
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
# .dockerignore lets in only what the build reads (sources, views, migrations, protos).
COPY . .
RUN npm run build && ./taskflow version

# ---- runtime: a small Debian (tasks need /bin/sh), the executable, a non-root user.
FROM debian:trixie-slim AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="taskflow" \
      org.opencontainers.image.description="A distributed task scheduler for shell commands: one binary, PostgreSQL, gRPC workers, a live dashboard." \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"

# Tasks run as this user, in its home; the embedded database (role all without
# DATABASE_URL) lives under /var/lib/taskflow.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/taskflow \
        --shell /usr/sbin/nologin taskflow \
    && install -d -o taskflow -g taskflow /var/lib/taskflow

COPY --from=build /src/taskflow /usr/local/bin/taskflow
COPY --chmod=0755 deploy/healthcheck.sh /usr/local/bin/taskflow-healthcheck

# Inside a container, loopback is unreachable from outside: listen on every interface.
# taskflow then refuses to start without TASKFLOW_TOKEN (or --insecure).
ENV TASKFLOW_HTTP=0.0.0.0:8080 \
    TASKFLOW_GRPC=0.0.0.0:50051 \
    TASKFLOW_DATA_DIR=/var/lib/taskflow/data \
    TASKFLOW_LOG_FORMAT=json

USER 10001:10001
WORKDIR /home/taskflow
EXPOSE 8080 50051

# Scheduler: GET /healthz; coordinator: its gRPC port; worker alone: the process (deploy/healthcheck.sh).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["taskflow-healthcheck"]

# No CMD: a --role flag there would beat TASKFLOW_ROLE (flags beat env), and taskflow's
# own default is already --role=all. `docker run taskflow --role=worker ...` adds flags.
ENTRYPOINT ["taskflow"]

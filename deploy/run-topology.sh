#!/usr/bin/env bash
# compose.yaml's topology without Docker, for trying a deployment change on this machine:
# a fresh database on the local PostgreSQL, one scheduler, one coordinator, the workers
# (deploy.replicas) and Debian's nginx in front, with compose.yaml's environment.
# Prints the nginx URL and the token; Ctrl-C stops everything and drops the database.
#
#   deploy/run-topology.sh                         # runs `bun src/main.ts`
#   TASKFLOW_BIN=./taskflow deploy/run-topology.sh  # runs the compiled binary
#
# Needs nginx (apt-get install -y nginx) and PostgreSQL on 127.0.0.1:5432 (or
# TASKFLOW_TOPOLOGY_ADMIN_URL=postgres://user@host:port/db, a user that may create
# databases and roles). The test of this topology is test/e2e/topology.test.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
bun=node_modules/.bin/bun
[ -x "$bun" ] || bun=bun
exec "$bun" test/deploy/topology.ts

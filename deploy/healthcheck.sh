#!/bin/bash
# The image's HEALTHCHECK, for every role, with nothing but bash (no curl in the image).
#
# It reads the roles and addresses the way taskflow does: flags of the container's main
# process (PID 1, or the taskflow behind docker-init), then the environment, then the
# defaults. Then:
#   scheduler (or all)   GET /healthz on the --http port must answer 200
#   coordinator          its --grpc port must accept a TCP connection
#   worker alone         listens on nothing: a running process, which Docker already
#                        watches, is healthy
# TASKFLOW_HEALTHCHECK_PID names another process to read flags from (tests).
set -u

pid=${TASKFLOW_HEALTHCHECK_PID:-1}
role=${TASKFLOW_ROLE:-all}
http=${TASKFLOW_HTTP:-127.0.0.1:8080}
grpc=${TASKFLOW_GRPC:-127.0.0.1:50051}

if [[ -r /proc/$pid/cmdline ]]; then
  mapfile -d '' args </proc/"$pid"/cmdline
  for ((i = 0; i < ${#args[@]}; i++)); do
    next=${args[i + 1]:-}
    case ${args[i]} in
      --role=*) role=${args[i]#*=} ;;
      --role) role=$next ;;
      --http=*) http=${args[i]#*=} ;;
      --http) http=$next ;;
      --grpc=*) grpc=${args[i]#*=} ;;
      --grpc) grpc=$next ;;
    esac
  done
fi

# HOST:PORT as taskflow binds it → the address to dial from inside the container.
dial_host() {
  local host=${1%:*}
  host=${host#[}
  host=${host%]}
  case $host in
    0.0.0.0 | "") echo 127.0.0.1 ;;
    :: | ::0) echo ::1 ;;
    *) echo "$host" ;;
  esac
}
port_of() { echo "${1##*:}"; }

has_role() { [[ ,$role, == *,all,* || ,$role, == *,$1,* ]]; }

if has_role scheduler; then
  host=$(dial_host "$http") port=$(port_of "$http")
  if ! exec 3<>"/dev/tcp/$host/$port"; then
    echo "scheduler: nothing listens on $host:$port"
    exit 1
  fi
  printf 'GET /healthz HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" >&3
  status=""
  IFS=$' \r' read -r -t 4 _ status _ <&3
  exec 3<&-
  if [[ $status != 200 ]]; then
    echo "scheduler: GET http://$host:$port/healthz answered ${status:-nothing}"
    exit 1
  fi
  echo "scheduler: /healthz 200"
fi

if has_role coordinator; then
  host=$(dial_host "$grpc") port=$(port_of "$grpc")
  if ! exec 3<>"/dev/tcp/$host/$port"; then
    echo "coordinator: nothing listens on $host:$port"
    exit 1
  fi
  exec 3<&-
  echo "coordinator: gRPC port $port accepts connections"
fi

exit 0

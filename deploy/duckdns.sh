#!/bin/sh
# The duckdns service of compose.yaml's `duckdns` profile: keeps NAME.duckdns.org
# pointed at this machine's public address, so Let's Encrypt (the `tls` profile) and
# browsers find it. It asks DuckDNS to update at start and every 5 minutes; DuckDNS
# takes the address the request comes from (on EC2: the instance's public address).
#
# Settings (from .env through compose.yaml):
#   DUCKDNS_TOKEN      the account's token (duckdns.org, top of the page); never logged
#   DUCKDNS_SUBDOMAIN  the name without .duckdns.org; default: taken from TASKFLOW_DOMAIN
#   DUCKDNS_URL, DUCKDNS_INTERVAL_SECONDS, DUCKDNS_RETRY_SECONDS  for tests
set -u

: "${DUCKDNS_TOKEN:=}"
: "${DUCKDNS_SUBDOMAIN:=}"
: "${TASKFLOW_DOMAIN:=}"
: "${DUCKDNS_URL:=https://www.duckdns.org/update}"
: "${DUCKDNS_INTERVAL_SECONDS:=300}"
# After a network error, try sooner than the interval (DuckDNS itself answered nothing).
: "${DUCKDNS_RETRY_SECONDS:=30}"

log() { echo "taskflow-duckdns: $*" >&2; }

# A name under duckdns.org in TASKFLOW_DOMAIN (tasks.example.duckdns.org → example).
if [ -z "$DUCKDNS_SUBDOMAIN" ]; then
  case $TASKFLOW_DOMAIN in
    *.duckdns.org) DUCKDNS_SUBDOMAIN=${TASKFLOW_DOMAIN%.duckdns.org}; DUCKDNS_SUBDOMAIN=${DUCKDNS_SUBDOMAIN##*.} ;;
  esac
fi
DUCKDNS_SUBDOMAIN=${DUCKDNS_SUBDOMAIN%.duckdns.org}

[ -n "$DUCKDNS_TOKEN" ] || { log "set DUCKDNS_TOKEN in .env to the token shown at the top of duckdns.org after you sign in (see docs/deploy.md)"; exit 1; }
[ -n "$DUCKDNS_SUBDOMAIN" ] || { log "set TASKFLOW_DOMAIN=NAME.duckdns.org (or DUCKDNS_SUBDOMAIN=NAME) in .env"; exit 1; }
# Checked here so both can go into a URL and a curl config line unquoted.
case $DUCKDNS_TOKEN in *[!A-Za-z0-9-]*) log "DUCKDNS_TOKEN has characters a DuckDNS token never has: copy it again from duckdns.org"; exit 1 ;; esac
case $DUCKDNS_SUBDOMAIN in *[!a-z0-9-]*) log "DUCKDNS_SUBDOMAIN=$DUCKDNS_SUBDOMAIN: a DuckDNS name has only lower-case letters, digits and '-'"; exit 1 ;; esac

name="$DUCKDNS_SUBDOMAIN.duckdns.org"

# `docker compose stop` sends SIGTERM: leave at once, even mid-sleep.
sleeper=
trap '[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null; exit 0' TERM INT

pause() {
  sleep "$1" &
  sleeper=$!
  wait "$sleeper"
  sleeper=
}

# Prints $1 with every occurrence of the token replaced, in case an error quotes the URL.
redact() {
  rest=$1
  out=
  while :; do
    case $rest in
      *"$DUCKDNS_TOKEN"*) out="$out${rest%%"$DUCKDNS_TOKEN"*}[token]"; rest=${rest#*"$DUCKDNS_TOKEN"} ;;
      *) printf '%s' "$out$rest"; return ;;
    esac
  done
}

# One update. The URL, which holds the token, goes to curl on stdin (-K -), so it
# is not in the process list either. verbose=true makes DuckDNS say what it did:
# "OK", the address, an empty line, "UPDATED" or "NOCHANGE"; a wrong token gets "KO".
last=
update() {
  answer=$(printf 'url = "%s?domains=%s&token=%s&verbose=true"\n' "$DUCKDNS_URL" "$DUCKDNS_SUBDOMAIN" "$DUCKDNS_TOKEN" |
    curl --config - --silent --show-error --fail --max-time 30 2>&1)
  rc=$?
  if [ "$rc" -ne 0 ]; then
    log "cannot reach DuckDNS ($(redact "$answer" | head -n 1)); trying again in ${DUCKDNS_RETRY_SECONDS}s"
    return 2
  fi
  status=$(printf '%s\n' "$answer" | sed -n 1p)
  address=$(printf '%s\n' "$answer" | sed -n 2p)
  change=$(printf '%s\n' "$answer" | sed -n 4p)
  case $status in
    OK)
      # Quiet while nothing changes: one line at start and one per new address.
      if [ "$change" = UPDATED ] || [ "$address" != "$last" ]; then
        log "$name points at ${address:-this machine} (${change:-updated}); next check in ${DUCKDNS_INTERVAL_SECONDS}s"
      fi
      last=$address
      return 0 ;;
    KO)
      log "DuckDNS refused to update $name (KO): check DUCKDNS_TOKEN and that $name belongs to that account at duckdns.org; trying again in ${DUCKDNS_INTERVAL_SECONDS}s"
      return 1 ;;
    *)
      log "unexpected answer from DuckDNS for $name: $(redact "$status" | cut -c 1-80); trying again in ${DUCKDNS_INTERVAL_SECONDS}s"
      return 1 ;;
  esac
}

log "keeping $name pointed at this machine's public address (every ${DUCKDNS_INTERVAL_SECONDS}s)"
while :; do
  update
  case $? in
    2) pause "$DUCKDNS_RETRY_SECONDS" ;;
    *) pause "$DUCKDNS_INTERVAL_SECONDS" ;;
  esac
done

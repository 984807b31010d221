#!/bin/sh
# The certbot service of compose.yaml's `tls` profile: obtains the Let's Encrypt
# certificate of TASKFLOW_DOMAIN through the webroot that nginx serves at
# /.well-known/acme-challenge/, then tries a renewal twice a day (certbot renews
# only within 30 days of expiry). nginx notices the new certificate by itself
# (40-taskflow-site.sh) and switches to HTTPS or reloads.
set -eu

: "${TASKFLOW_DOMAIN:=}"
: "${LETSENCRYPT_EMAIL:=}"
: "${LETSENCRYPT_STAGING:=}"
: "${ACME_ROOT:=/var/www/certbot}"
RENEW_EVERY_SECONDS=43200
# Let's Encrypt allows 5 failed validations per hostname an hour: do not retry faster.
RETRY_AFTER_SECONDS=900

log() { echo "taskflow-certbot: $*" >&2; }

[ -n "$TASKFLOW_DOMAIN" ] || { log "set TASKFLOW_DOMAIN in .env to the DNS name of this machine (see docs/deploy.md)"; exit 1; }
[ -n "$LETSENCRYPT_EMAIL" ] || { log "set LETSENCRYPT_EMAIL in .env: Let's Encrypt writes there before a certificate expires"; exit 1; }

staging=""
case $LETSENCRYPT_STAGING in 1 | true | yes) staging="--staging" ;; esac

# `docker compose stop` sends SIGTERM: leave at once, even mid-sleep.
trap 'exit 0' TERM INT

# shellcheck disable=SC2086 # $staging is one flag or nothing
until certbot certonly --webroot --webroot-path "$ACME_ROOT" \
  --domain "$TASKFLOW_DOMAIN" --email "$LETSENCRYPT_EMAIL" \
  --agree-tos --no-eff-email --non-interactive --keep-until-expiring $staging; do
  log "could not get a certificate for $TASKFLOW_DOMAIN. Check that its DNS points at this machine and that port 80 reaches nginx; trying again in ${RETRY_AFTER_SECONDS}s"
  sleep "$RETRY_AFTER_SECONDS" &
  wait $!
done
log "certificate for $TASKFLOW_DOMAIN is in place; nginx switches to HTTPS within a minute"

while :; do
  sleep "$RENEW_EVERY_SECONDS" &
  wait $!
  certbot renew --webroot --webroot-path "$ACME_ROOT" --non-interactive || log "renewal failed; trying again in ${RENEW_EVERY_SECONDS}s"
done

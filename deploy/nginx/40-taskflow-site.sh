#!/bin/sh
# Writes nginx's taskflow site and keeps it in step with the TLS certificate.
#
# The official nginx image runs this from /docker-entrypoint.d/ before nginx starts
# (compose.yaml mounts it there). It picks one of three sites from the templates in
# $NGINX_TEMPLATES:
#   http   no TASKFLOW_DOMAIN: plain HTTP proxy to the scheduler
#   acme   TASKFLOW_DOMAIN set, no certificate yet: only the ACME challenge, 503 elsewhere
#   https  TASKFLOW_DOMAIN and its certificate: HTTPS proxy, HTTP redirects to it
# With a domain it then keeps watching the certificate in the background: when certbot
# obtains or renews it, the site is rewritten and nginx reloads, with no restart.
#
# Usage: 40-taskflow-site.sh          render, then watch in the background (the image hook)
#        40-taskflow-site.sh render   render once and exit (deploy/ scripts and tests)
#        40-taskflow-site.sh watch    render, then watch in the foreground
set -eu

: "${TASKFLOW_UPSTREAM:=scheduler:8080}"
: "${TASKFLOW_DOMAIN:=}"
: "${NGINX_RESOLVER:=127.0.0.11}"
: "${NGINX_HTTP_PORT:=80}"
: "${NGINX_HTTPS_PORT:=443}"
: "${NGINX_TEMPLATES:=/etc/nginx/taskflow}"
: "${NGINX_SITE:=/etc/nginx/conf.d/default.conf}"
: "${ACME_ROOT:=/var/www/certbot}"
: "${LETSENCRYPT_DIR:=/etc/letsencrypt}"
: "${CERT_CHECK_SECONDS:=60}"
# Extra arguments for `nginx -t` and `nginx -s reload` (e.g. -p and -c of a local nginx).
: "${NGINX_ARGS:=}"

log() { echo "taskflow-site: $*" >&2; }
fail() { log "$*"; exit 1; }

# Values go into the nginx config: accept only what a host name and port can hold.
case $TASKFLOW_DOMAIN in *[!A-Za-z0-9.-]*) fail "TASKFLOW_DOMAIN=\"$TASKFLOW_DOMAIN\" is not a DNS name";; esac
case $TASKFLOW_UPSTREAM in "" | *[!A-Za-z0-9.:_\[\]-]*) fail "TASKFLOW_UPSTREAM=\"$TASKFLOW_UPSTREAM\" must be HOST:PORT";; esac
case $NGINX_RESOLVER in "" | *[!A-Za-z0-9.:_\[\]-]*) fail "NGINX_RESOLVER=\"$NGINX_RESOLVER\" must be an address";; esac
for port in "$NGINX_HTTP_PORT" "$NGINX_HTTPS_PORT" "$CERT_CHECK_SECONDS"; do
  case $port in "" | *[!0-9]*) fail "\"$port\" must be a number";; esac
done

cert_dir="$LETSENCRYPT_DIR/live/$TASKFLOW_DOMAIN"

mode() {
  if [ -z "$TASKFLOW_DOMAIN" ]; then
    echo http
  elif [ -r "$cert_dir/fullchain.pem" ] && [ -r "$cert_dir/privkey.pem" ]; then
    echo https
  else
    echo acme
  fi
}

# Changes when certbot obtains or renews the certificate (live/ holds symlinks to it).
fingerprint() {
  if [ -r "$cert_dir/fullchain.pem" ]; then md5sum <"$cert_dir/fullchain.pem"; else echo none; fi
}

# nginx 1.25.1 replaced `listen ... http2` with the `http2 on;` directive.
http2_directive_supported() {
  version=$(nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9][0-9]*\)\.\([0-9][0-9]*\)\.\([0-9][0-9]*\).*|\1 \2 \3|p')
  # shellcheck disable=SC2086 # split into major, minor, patch on purpose
  set -- $version 0 0 0
  [ "$1" -gt 1 ] || { [ "$1" -eq 1 ] && { [ "$2" -gt 25 ] || { [ "$2" -eq 25 ] && [ "$3" -ge 1 ]; }; }; }
}

render() {
  site_mode=$1
  http2_flag=" http2" http2_directive=""
  if http2_directive_supported; then http2_flag="" http2_directive=" http2 on;"; fi
  port_suffix=":$NGINX_HTTPS_PORT"
  [ "$NGINX_HTTPS_PORT" != 443 ] || port_suffix=""
  mkdir -p "$(dirname "$NGINX_SITE")"
  sed -e "s|@UPSTREAM@|$TASKFLOW_UPSTREAM|g" \
    -e "s|@DOMAIN@|$TASKFLOW_DOMAIN|g" \
    -e "s|@RESOLVER@|$NGINX_RESOLVER|g" \
    -e "s|@HTTP_PORT@|$NGINX_HTTP_PORT|g" \
    -e "s|@HTTPS_PORT@|$NGINX_HTTPS_PORT|g" \
    -e "s|@HTTPS_PORT_SUFFIX@|$port_suffix|g" \
    -e "s|@HTTP2_LISTEN_FLAG@|$http2_flag|g" \
    -e "s|@HTTP2_DIRECTIVE@|$http2_directive|g" \
    -e "s|@ACME_ROOT@|$ACME_ROOT|g" \
    -e "s|@CERT_DIR@|$cert_dir|g" \
    "$NGINX_TEMPLATES/site-$site_mode.conf.template" >"$NGINX_SITE.tmp"
  mv "$NGINX_SITE.tmp" "$NGINX_SITE"
  case $site_mode in
    http) log "serving taskflow (${TASKFLOW_UPSTREAM}) over plain HTTP on port $NGINX_HTTP_PORT" ;;
    acme) log "no certificate for $TASKFLOW_DOMAIN yet: serving only the ACME challenge until certbot gets one" ;;
    https) log "serving https://$TASKFLOW_DOMAIN$port_suffix with the certificate in $cert_dir" ;;
  esac
}

watch() {
  last_mode=$(mode) last_print=$(fingerprint)
  while sleep "$CERT_CHECK_SECONDS"; do
    now_mode=$(mode) now_print=$(fingerprint)
    [ "$now_mode" != "$last_mode" ] || [ "$now_print" != "$last_print" ] || continue
    render "$now_mode"
    # shellcheck disable=SC2086 # NGINX_ARGS is a list of arguments
    if nginx $NGINX_ARGS -t -q && nginx $NGINX_ARGS -s reload; then
      log "reloaded nginx ($now_mode)"
      last_mode=$now_mode last_print=$now_print
    else
      log "nginx rejected the $now_mode site; trying again in ${CERT_CHECK_SECONDS}s"
    fi
  done
}

case ${1:-hook} in
  render) render "$(mode)" ;;
  watch)
    render "$(mode)"
    watch
    ;;
  hook)
    render "$(mode)"
    # Only a domain's certificate can change; a plain-HTTP site needs no watcher.
    if [ -n "$TASKFLOW_DOMAIN" ]; then watch </dev/null & fi
    ;;
  *) fail "unknown command \"$1\": expected render or watch" ;;
esac

#!/usr/bin/env bash
# Starts the action server and the Rasa server together; Ctrl-C stops both. If either one
# dies, this says which (and its exit code), stops the other and exits non-zero, so a process
# supervisor (docs/deploy.md) restarts the pair.
set -u
cd "$(dirname "$0")/.."
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
# Where both servers listen (coach/settings.py bind_address): loopback unless set explicitly.
BIND=$(.venv/bin/python -c 'from coach.settings import bind_address; print(bind_address())') || exit 1
export COACH_BIND_ADDRESS="$BIND"
# Always the action server started below (an inherited value would point elsewhere).
export ACTION_ENDPOINT_URL="http://127.0.0.1:$ACTIONS_PORT/webhook"
mkdir -p .data

# Checked before anything starts, in the coach's own words (docs/security.md).
.venv/bin/python -c '
import sys
from coach import settings
try:
    settings.sender_secret(); settings.trusted_proxies(); settings.rate_per_sender(); settings.rate_per_address()
    settings.rate_limit_backend(); settings.reply_deadline_seconds(); settings.max_body_bytes()
except ValueError as error:
    sys.exit(str(error))
if not settings.is_loopback(settings.bind_address()) and not settings.sender_secret():
    sys.exit(f"COACH_BIND_ADDRESS={settings.bind_address()} would let anyone on the network talk as any sender: "
             "set COACH_SENDER_SECRET too (docs/security.md), or keep the default 127.0.0.1.")' || exit 1


# The Rasa server proves itself to the action server with this secret (endpoints.yml sends it
# as X-Coach-Action-Secret); a fresh one per start unless the deployment sets its own.
if [ -z "${COACH_ACTION_SECRET:-}" ]; then
  COACH_ACTION_SECRET=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')
fi
export COACH_ACTION_SECRET

# Sites that may embed the web widget: COACH_ALLOWED_ORIGINS (comma-separated; unset = same
# origin only). Sanic's CORS gets the list read by coach/settings.py, as the socket server does.
cors=$(.venv/bin/python -c '
import sys
from coach.settings import allowed_origins
try:
    print(" ".join(allowed_origins()))
except ValueError as error:
    sys.exit(str(error))') || exit 1
read -ra origins <<< "$cors"  # no globbing: "*" stays "*"
cors_args=()
[ ${#origins[@]} -gt 0 ] && cors_args=(--cors "${origins[@]}")

# Only the channels whose settings are in the environment (Rasa refuses an unset ${VAR}).
.venv/bin/python -m scripts.credentials --out .data/credentials.yml || exit 1

# Reminders (docs/reminders.md): the scheduler delivers them through Rasa's HTTP API
# (trigger_intent). The API never runs without a token from the environment: RASA_AUTH_TOKEN,
# or a fresh random one per run that only this run's scheduler knows.
export RASA_AUTH_TOKEN=${RASA_AUTH_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))')}
export COACH_RASA_URL=${COACH_RASA_URL:-http://127.0.0.1:$RASA_PORT}
export COACH_PUBLIC_URL=${COACH_PUBLIC_URL:-http://127.0.0.1:$RASA_PORT}

echo "==> Starting the action server (:$ACTIONS_PORT), the Rasa server (:$RASA_PORT) and the reminder scheduler; loading the model takes a while…"
started=$SECONDS
.venv/bin/python -m actions.server --port "$ACTIONS_PORT" &
actions_pid=$!
.venv/bin/rasa run --model models/coach.tar.gz -i "$BIND" --port "$RASA_PORT" "${cors_args[@]}" \
  --credentials .data/credentials.yml --endpoints endpoints.yml --quiet \
  --enable-api --auth-token="$RASA_AUTH_TOKEN" &
rasa_pid=$!
.venv/bin/python -m coach.reminders.scheduler &
scheduler_pid=$!

stopping=0
stop_both() {
  kill -TERM "$rasa_pid" "$actions_pid" "$scheduler_pid" 2>/dev/null
  wait "$rasa_pid" "$actions_pid" "$scheduler_pid" 2>/dev/null
}
on_signal() {
  stopping=1
  echo; echo "Stopping Psoas Coach…"
  stop_both
  exit 0
}
trap on_signal INT TERM

# One of the two ended on its own: say which, stop the other, fail.
died() {
  local name=$1 code=$2
  [ "$stopping" = 1 ] && exit 0
  echo
  echo "The $name stopped unexpectedly (exit code $code); see the log above. Stopping the other server too."
  stop_both
  exit 1
}

# Tell the user where to chat only once the server answers; until then, that it is still starting.
tick=0
while :; do  # until the Rasa server answers, or one of the two dies
  tick=$((tick + 1))
  if curl -sf "http://127.0.0.1:$RASA_PORT/" >/dev/null; then
    cat <<MSG
==> Servers started in $((SECONDS - started)) s.

Psoas Coach is running (listening on $BIND; docs/security.md says what is open and what is not).
  Chat in your browser:  http://127.0.0.1:$RASA_PORT/webhooks/web
  The widget on a page:  http://127.0.0.1:$RASA_PORT/webhooks/web/demo.html
  Chat over REST:        curl -s -XPOST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook \\
                           -H 'Content-Type: application/json' -d '{"sender":"me","message":"hi"}'
  Telegram and Slack (when on, behind HTTPS): /webhooks/telegram/webhook, /webhooks/slack/webhook
                                              (docs/channels.md)
MSG
    [ -z "${COACH_SENDER_SECRET:-}" ] && echo "  Sender ids are not verified (COACH_SENDER_SECRET unset): fine on this machine only."
    echo "Press Ctrl-C to stop."
    break
  fi
  kill -0 "$rasa_pid" 2>/dev/null || { wait "$rasa_pid"; died "Rasa server" $?; }
  kill -0 "$actions_pid" 2>/dev/null || { wait "$actions_pid"; died "action server" $?; }
  [ $((tick % 20)) -eq 0 ] && echo "    … still starting ($((SECONDS - started)) s so far)"
  sleep 0.5
done

wait -n "$rasa_pid" "$actions_pid"
code=$?
if kill -0 "$rasa_pid" 2>/dev/null; then
  died "action server" "$code"
else
  died "Rasa server" "$code"
fi

#!/usr/bin/env bash
# Starts the action server and the Rasa server together; Ctrl-C stops both.
set -u
cd "$(dirname "$0")/.."
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
# Always the action server started below (an inherited value would point elsewhere).
export ACTION_ENDPOINT_URL="http://127.0.0.1:$ACTIONS_PORT/webhook"
mkdir -p .data
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
# (trigger_intent), which is only ever on with a token: RASA_AUTH_TOKEN, or a fresh one per run.
export RASA_AUTH_TOKEN=${RASA_AUTH_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(24))')}
export COACH_RASA_URL=${COACH_RASA_URL:-http://127.0.0.1:$RASA_PORT}
export COACH_PUBLIC_URL=${COACH_PUBLIC_URL:-http://127.0.0.1:$RASA_PORT}

echo "==> Starting the action server (:$ACTIONS_PORT), the Rasa server (:$RASA_PORT) and the reminder scheduler; loading the model takes a while…"
started=$SECONDS
.venv/bin/python -m rasa_sdk --actions actions --port "$ACTIONS_PORT" &
actions_pid=$!
.venv/bin/rasa run --model models/coach.tar.gz --port "$RASA_PORT" "${cors_args[@]}" \
  --credentials .data/credentials.yml --endpoints endpoints.yml --quiet \
  --enable-api --auth-token "$RASA_AUTH_TOKEN" &
rasa_pid=$!
.venv/bin/python -m coach.reminders.scheduler &
scheduler_pid=$!

stop() {
  echo; echo "Stopping Psoas Coach…"
  kill -TERM "$rasa_pid" "$actions_pid" "$scheduler_pid" 2>/dev/null
  wait "$rasa_pid" "$actions_pid" "$scheduler_pid" 2>/dev/null
  exit 0
}
trap stop INT TERM

# Tell the user where to chat only once the server answers; until then, that it is still starting.
for tick in $(seq 1 240); do
  if curl -sf "http://127.0.0.1:$RASA_PORT/" >/dev/null; then
    cat <<MSG
==> Servers started in $((SECONDS - started)) s.

Psoas Coach is running.
  Chat in your browser:  http://127.0.0.1:$RASA_PORT/webhooks/web
  The widget on a page:  http://127.0.0.1:$RASA_PORT/webhooks/web/demo.html
  Chat over REST:        curl -s -XPOST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook \\
                           -H 'Content-Type: application/json' -d '{"sender":"me","message":"hi"}'
  Telegram and Slack (when on, behind HTTPS): /webhooks/telegram/webhook, /webhooks/slack/webhook
                                              (docs/channels.md)
Press Ctrl-C to stop.
MSG
    break
  fi
  kill -0 "$rasa_pid" 2>/dev/null || { echo "The Rasa server exited; see the log above."; kill "$actions_pid" "$scheduler_pid" 2>/dev/null; exit 1; }
  [ $((tick % 20)) -eq 0 ] && echo "    … still starting ($((SECONDS - started)) s so far)"
  sleep 0.5
done
wait "$rasa_pid"
stop

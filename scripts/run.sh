#!/usr/bin/env bash
# Starts the action server and the Rasa server together; Ctrl-C stops both.
set -u
cd "$(dirname "$0")/.."
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
# Always the action server started below (an inherited value would point elsewhere).
export ACTION_ENDPOINT_URL="http://127.0.0.1:$ACTIONS_PORT/webhook"
# credentials.yml names ${ALEXA_SKILL_ID} and ${ALEXA_VERIFY}; Rasa refuses to start when a named
# variable is unset. Empty means the Alexa channel is off (it answers 400) and verification on.
export ALEXA_SKILL_ID="${ALEXA_SKILL_ID:-}" ALEXA_VERIFY="${ALEXA_VERIFY:-}"
mkdir -p .data

.venv/bin/python -m rasa_sdk --actions actions --port "$ACTIONS_PORT" &
actions_pid=$!
.venv/bin/rasa run --model models/coach.tar.gz --port "$RASA_PORT" --cors '*' \
  --credentials credentials.yml --endpoints endpoints.yml --quiet &
rasa_pid=$!

stop() {
  echo; echo "Stopping Psoas Coach…"
  kill -TERM "$rasa_pid" "$actions_pid" 2>/dev/null
  wait "$rasa_pid" "$actions_pid" 2>/dev/null
  exit 0
}
trap stop INT TERM

# Tell the user where to chat only once the server answers.
for _ in $(seq 1 240); do
  if curl -sf "http://127.0.0.1:$RASA_PORT/" >/dev/null; then
    cat <<MSG

Psoas Coach is running.
  Chat in your browser:  http://127.0.0.1:$RASA_PORT/webhooks/web
  Chat over REST:        curl -s -XPOST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook \\
                           -H 'Content-Type: application/json' -d '{"sender":"me","message":"hi"}'
Press Ctrl-C to stop.
MSG
    break
  fi
  kill -0 "$rasa_pid" 2>/dev/null || { echo "The Rasa server exited; see the log above."; kill "$actions_pid" 2>/dev/null; exit 1; }
  sleep 0.5
done
wait "$rasa_pid"
stop

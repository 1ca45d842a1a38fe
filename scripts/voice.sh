#!/usr/bin/env bash
# `make voice`: the local voice loop. Uses the coach's servers if they answer (`make run` in
# another terminal); otherwise starts them for as long as the loop runs, then stops them.
set -u
cd "$(dirname "$0")/.."
RASA_PORT=${RASA_PORT:-5005}
URL="http://127.0.0.1:$RASA_PORT"

for cmd in espeak-ng sox; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "The voice loop needs $cmd: run \`make system-deps\` first."; exit 2; }
done

servers_pid=""
stop_servers() {
  if [ -n "$servers_pid" ]; then
    echo "Stopping the coach's servers started for the voice loop…"
    kill -TERM "$servers_pid" 2>/dev/null
    wait "$servers_pid" 2>/dev/null
  fi
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

if ! curl -sf "$URL/" >/dev/null; then
  mkdir -p .data
  echo "The coach isn't running on $URL: starting it for this voice session (log: .data/voice-servers.log)…"
  scripts/run.sh >.data/voice-servers.log 2>&1 &
  servers_pid=$!
  for _ in $(seq 1 240); do
    curl -sf "$URL/" >/dev/null && break
    kill -0 "$servers_pid" 2>/dev/null || { echo "The coach's servers exited; see .data/voice-servers.log (or run \`make run\`)."; servers_pid=""; exit 1; }
    sleep 0.5
  done
  curl -sf "$URL/" >/dev/null || { echo "The coach did not answer on $URL within 2 minutes; see .data/voice-servers.log."; exit 1; }
fi

.venv/bin/python -m voice --url "$URL" "$@"

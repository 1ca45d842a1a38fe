#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter. Rasa 3.6 runs on 3.10 at most, and pip
# on 3.11+ silently installs a useless rasa 1.x, so we never fall back to another version.
set -u
is_310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }

candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
candidates+=(python3.10)
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null)
  for p in "$root"/versions/3.10*/bin/python3.10; do candidates+=("$p"); done
fi
for p in "$HOME"/.pyenv/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10 python3 python; do
  candidates+=("$p")
done

for c in "${candidates[@]}"; do
  path=$(command -v "$c" 2>/dev/null) || continue
  if is_310 "$path"; then echo "$path"; exit 0; fi
done
echo "Psoas Coach needs Python 3.10 (Rasa 3.6 does not run on 3.11+): install it with 'pyenv install 3.10' or your package manager (python3.10 and python3.10-venv), or set PYTHON=/path/to/python3.10." >&2
exit 1

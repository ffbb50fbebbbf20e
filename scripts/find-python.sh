#!/usr/bin/env bash
# Prints the path of a Python 3.10 interpreter (Rasa 3.6 does not run on 3.11+).
# Looks at $PYTHON, python3.10 on the PATH, then pyenv's versions.
set -u
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
candidates+=("$(command -v python3.10 2>/dev/null)")
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root)
  want=$(cat "$(dirname "$0")/../.python-version" 2>/dev/null)
  candidates+=("$root/versions/$want/bin/python3.10")
  for p in "$root"/versions/3.10.*/bin/python3.10; do candidates+=("$p"); done
fi
for p in "$HOME"/.pyenv/versions/3.10.*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
  candidates+=("$p")
done
for p in "${candidates[@]}"; do
  [ -n "$p" ] && [ -x "$p" ] || continue
  real=$("$p" -c 'import sys; print(sys.executable if sys.version_info[:2] == (3, 10) else "")' 2>/dev/null)
  if [ -n "$real" ]; then
    echo "$real"
    exit 0
  fi
done
echo "error: no Python 3.10 found. Rasa 3.6 needs Python 3.10 (3.11 is not supported)." >&2
echo "Install it with 'pyenv install 3.10.13' (this repo's .python-version selects it)," >&2
echo "or set PYTHON=/path/to/python3.10." >&2
exit 1

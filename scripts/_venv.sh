# shellcheck shell=bash
# Sourced by scripts/serve, scripts/test and scripts/export-schema (not a command of its own).
#
# - cd to the repository root, so the scripts work from any directory;
# - find Python 3.11+ ($PYTHON, python3, python3.14 ... python3.11), failing clearly if there is none;
# - create .venv if it is missing (or recreate it if its interpreter no longer runs);
# - `pip install -e .` / `pip install -e '.[test]'` only when pyproject.toml changed since the last install.
#   The stamp file .venv/.gateway-install-stamp holds one line "<sha256 of pyproject.toml> <extras>" per
#   install made with the current pyproject.toml.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT" || exit 1

VENV="$REPO_ROOT/.venv"
VENV_PYTHON="$VENV/bin/python"
INSTALL_STAMP="$VENV/.gateway-install-stamp"
SCRIPT_NAME="scripts/$(basename "$0")"

say() { printf '==> %s\n' "$*"; }
die() { printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2; exit 1; }

_python_ok() {  # is "$1" a runnable Python >= 3.11?
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

find_python() {  # prints the command of a Python >= 3.11, or fails listing what it found
    local candidate version seen=""
    if [ -n "${PYTHON:-}" ]; then
        _python_ok "$PYTHON" || die "PYTHON=$PYTHON is not a working Python 3.11 or newer"
        printf '%s\n' "$PYTHON"
        return
    fi
    for candidate in python3 python3.14 python3.13 python3.12 python3.11; do
        command -v "$candidate" >/dev/null 2>&1 || continue
        if _python_ok "$candidate"; then
            printf '%s\n' "$candidate"
            return
        fi
        version="$("$candidate" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null || echo "does not run")"
        seen="${seen:+$seen, }$candidate $version"
    done
    die "the gateway needs Python 3.11 or newer, found ${seen:-no python3 on PATH}; install Python 3.11+ or set PYTHON=/path/to/python3.11"
}

_sha256() {
    "$VENV_PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"
}

# ensure_venv [EXTRAS]: a .venv with the project installed (editable), plus EXTRAS (e.g. "test").
ensure_venv() {
    local extras="${1:-}" python spec hash label
    if [ -e "$VENV" ] && ! _python_ok "$VENV_PYTHON"; then
        say "$VENV does not hold a working Python 3.11+; recreating it"
        rm -rf "$VENV"
    fi
    if [ ! -e "$VENV" ]; then
        python="$(find_python)"
        say "creating .venv with $python ($("$python" -c 'import sys; print(sys.version.split()[0])'))"
        if ! "$python" -m venv "$VENV"; then
            rm -rf "$VENV"
            die "'$python -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)"
        fi
    fi

    hash="$(_sha256 pyproject.toml)"
    label="${extras:-base}"
    if [ -x "$VENV/bin/gateway" ] && [ -f "$INSTALL_STAMP" ]; then
        # Any install made with this pyproject.toml satisfies the base install; extras need their own.
        if grep -qxF "$hash $label" "$INSTALL_STAMP" || { [ -z "$extras" ] && grep -q "^$hash " "$INSTALL_STAMP"; }; then
            return 0
        fi
    fi

    spec="."
    [ -n "$extras" ] && spec=".[$extras]"
    say "installing the project into .venv (pip install -e '$spec'; a minute or so the first time)"
    "$VENV_PYTHON" -m pip install --quiet --disable-pip-version-check -e "$spec" \
        || die "pip install -e '$spec' failed"
    { grep "^$hash " "$INSTALL_STAMP" 2>/dev/null | grep -vxF "$hash $label" || true; echo "$hash $label"; } \
        >"$INSTALL_STAMP.tmp"
    mv "$INSTALL_STAMP.tmp" "$INSTALL_STAMP"
}

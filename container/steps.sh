#!/usr/bin/env bash
# The image's build and entry steps, in one script: container/Dockerfile runs `build` (and
# `compile`) in RUN lines and `entry` as its ENTRYPOINT, and tests/container/steps_test.ts runs the
# same steps on a bare machine, so CI proves them where no image can be built.
#
#   container/steps.sh build [APP_DIR]         cache every dependency as deno.lock pins it (--frozen:
#                                              the lock must already hold them) and put `megflow` on
#                                              PATH (deno task install); no network is needed after
#   container/steps.sh compile OUT [APP_DIR]   a self-contained `megflow` binary (deno compile: it
#                                              downloads Deno's runtime, so it needs the internet)
#   container/steps.sh entry [ARGS...]         the entry point: `megflow ARGS...` (no ARGS: --help);
#                                              `entry deno ...`, `entry sh ...`, `entry bash ...` run as given
#
# APP_DIR defaults to the folder above this script; `megflow` goes to ${DENO_INSTALL_ROOT}/bin
# (default ~/.deno/bin).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit 2
}

megflow_bin() {
  echo "${DENO_INSTALL_ROOT:-${HOME}/.deno}/bin/megflow"
}

build() {
  local app="${1:-${HERE}/..}"
  app="$(cd "${app}" && pwd)"
  cd "${app}"
  deno --version
  # npm packages of deno.json into the Deno cache and ./node_modules, exactly as deno.lock pins them.
  deno install --frozen
  # Every module of the library and of the command-line tasks: nothing is fetched when the
  # container runs.
  deno install --frozen --entrypoint mod.ts tasks/*.ts
  deno task install
  "$(megflow_bin)" --version
}

compile() {
  local out="${1:?compile needs the output file}"
  local app="${2:-${HERE}/..}"
  cd "${app}"
  # tasks/megflow.ts imports its subcommands' task files by name at run time: include each.
  local includes=()
  for task in tasks/[!_]*.ts; do includes+=(--include "${task}"); done
  deno compile -A --frozen "${includes[@]}" --output "${out}" tasks/megflow.ts
  "${out}" --version
}

entry() {
  if [ "$#" -eq 0 ]; then set -- --help; fi
  case "$1" in
    deno | sh | bash) exec "$@" ;;
  esac
  exec "$(megflow_bin)" "$@"
}

step="${1:-}"
[ "$#" -gt 0 ] && shift
case "${step}" in
  build) build "$@" ;;
  compile) compile "$@" ;;
  entry) entry "$@" ;;
  *) usage ;;
esac

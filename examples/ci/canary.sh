#!/bin/sh
# A canary release from any CI job (GitLab CI, Jenkins, Buildkite, a plain shell): deploy the
# canary, wait until it is at its approval gate, judge it with your own check, then promote it or
# roll it back. Each approval gate of the workflow gets its own run of the check.
#
#   canary.sh FILE APP CHECK [ARG...]
#
#   FILE   the Application file to release
#   APP    its metadata.name
#   CHECK  a command that exits 0 when the canary is good (a smoke test, `curl -fsS URL`, ...)
#
# Environment:
#   VELA_TS        the vela-ts command (default: vela-ts; e.g. "npx --yes vela-ts")
#   VELA_TS_FLAGS  global flags for every call (e.g. "--kubeconfig /ci/kubeconfig -n shop")
#
# Exit: 0 released (or nothing to release); 1 not released: the check failed and the canary was
# rolled back, or the workflow failed; 2 bad input (nothing was sent to the cluster).
set -u

vela=${VELA_TS:-vela-ts}
flags=${VELA_TS_FLAGS:-}
if [ $# -lt 3 ]; then
  echo "usage: canary.sh FILE APP CHECK [ARG...]" >&2
  exit 2
fi
file=$1
app=$2
shift 2

# The workflow's phase, from the machine-readable status.
phase() {
  # shellcheck disable=SC2086
  $vela $flags status "$app" -o json |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>console.log(JSON.parse(s).workflow.phase))'
}

# 1. Apply the file and run its workflow up to the first gate. Exit 0: at the gate or done;
#    1: the workflow failed or the cluster refused; 2: the file is invalid.
# shellcheck disable=SC2086
$vela $flags up "$file" --no-prompt
code=$?
[ $code -eq 0 ] || exit $code

while :; do
  # 2. Wait until the workflow stops moving (also when another job drives it): exit 0 at a gate
  #    or done, 1 failed.
  # shellcheck disable=SC2086
  $vela $flags status "$app" --watch >/dev/null || exit 1
  now=$(phase) || exit 1
  case $now in
    succeeded)
      echo "$app: released"
      exit 0
      ;;
    suspended) ;;
    *)
      echo "$app: the workflow is $now; not released" >&2
      exit 1
      ;;
  esac

  # 3. Judge the canary at the gate, then promote it to the next gate or the end, or roll back.
  if "$@"; then
    echo "$app: check passed; continuing the rollout"
    # shellcheck disable=SC2086
    $vela $flags workflow resume "$app" --no-prompt || exit 1
  else
    echo "$app: check failed; rolling back" >&2
    # shellcheck disable=SC2086
    $vela $flags rollback "$app" || echo "$app: the rollback failed too; see vela-ts status $app" >&2
    exit 1
  fi
done

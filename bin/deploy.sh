#!/usr/bin/env bash
# The seed's deploy script interface, on top of `ghosthands deploy` (which does the work):
#
#   bin/deploy.sh deploy [TAG]   pull TAG (default latest), drain the worker, restart,
#                                health-gate; roll back automatically if the gate fails
#   bin/deploy.sh rollback       return to the previous release (health-gated)
#   bin/deploy.sh drain          stop the worker once its jobs are done (maintenance)
#   bin/deploy.sh status         running and previous release, health, processes, lock
#   bin/deploy.sh health         exit 0 if healthy, 1 if not
#
# Host settings: GHOSTHANDS_DIR (default /opt/ghosthands), ECR_REGISTRY, ECR_REPOSITORY,
# AWS_REGION; GH_DEPLOY_RUNTIME picks compose, systemd or local. The ghosthands command is
# $GHOSTHANDS_BIN, else the one on PATH, else the current release's.
# Machine-readable result lines (DEPLOY_STATUS=, DEPLOY_TAG=, DEPLOY_IMAGE=,
# DEPLOY_PREVIOUS_TAG=) go to stdout; progress goes to stderr.
set -euo pipefail

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 64
}

case "${1:-}" in
  deploy|rollback|drain|resume|status|health) ;;
  *) usage ;;
esac

export GHOSTHANDS_DIR="${GHOSTHANDS_DIR:-/opt/ghosthands}"
if [ -n "${GHOSTHANDS_BIN:-}" ]; then
  GH=("$GHOSTHANDS_BIN")
elif command -v ghosthands >/dev/null 2>&1; then
  GH=(ghosthands)
elif [ -x "$GHOSTHANDS_DIR/current/bin/ghosthands" ]; then
  GH=("$GHOSTHANDS_DIR/current/bin/ghosthands")
else
  echo "deploy.sh: no ghosthands command (set GHOSTHANDS_BIN or install the package)" >&2
  exit 69
fi

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
  deploy)   exec "${GH[@]}" deploy release "${1:-latest}" ;;
  rollback) exec "${GH[@]}" deploy rollback "$@" ;;
  drain)    exec "${GH[@]}" deploy drain ;;
  resume)   exec "${GH[@]}" deploy resume ;;
  status)   exec "${GH[@]}" deploy status ;;
  health)   exec "${GH[@]}" deploy health ;;
esac

#!/usr/bin/env bash
# Rolls back the Deployments a failed deploy changed, and only those: each one whose revision differs from
# the one recorded before the apply goes back one revision (`kubectl rollout undo`), then must become ready.
# Usage: rollback.sh <namespace> <file with "name revision" lines recorded before the apply>
set -euo pipefail

namespace=${1:?namespace}
before=${2:?revisions file}
failed=0

while read -r name revision; do
  [[ -n $name ]] || continue
  current=$(kubectl -n "$namespace" get deployment "$name" -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')
  if [[ $current == "$revision" ]]; then
    echo "rollback: $name unchanged (revision $revision)"
    continue
  fi
  echo "rollback: $name revision $current -> previous"
  kubectl -n "$namespace" rollout undo "deployment/$name"
  if ! kubectl -n "$namespace" rollout status "deployment/$name" --timeout=300s; then
    echo "rollback: $name did not become ready after the undo" >&2
    failed=1
  fi
done <"$before"

exit "$failed"

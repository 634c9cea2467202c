#!/usr/bin/env bash
# Smoke test of a deployed ASHapp: the gateway is ready, one sign-in works end to end (STS verifies the
# smoke-test identity), the session answers /api/user, and sign-out ends it.
# Usage: smoke-test.sh https://ashapp.example.com   (SMOKE_AWS_ACCESS_KEY_ID, SMOKE_AWS_SECRET_ACCESS_KEY,
# SMOKE_AWS_REGION in the environment; the identity needs no permissions beyond sts:GetCallerIdentity).
set -euo pipefail

base=${1:?usage: smoke-test.sh <url>}
base=${base%/}
: "${SMOKE_AWS_ACCESS_KEY_ID:?}" "${SMOKE_AWS_SECRET_ACCESS_KEY:?}" "${SMOKE_AWS_REGION:?}"

curl_json() { curl --fail-with-body --silent --show-error --max-time 20 --retry 3 --retry-all-errors "$@"; }

echo "smoke: GET $base/ready"
curl_json "$base/ready" >/dev/null

echo "smoke: sign in"
body=$(jq -n --arg a "$SMOKE_AWS_ACCESS_KEY_ID" --arg s "$SMOKE_AWS_SECRET_ACCESS_KEY" --arg r "$SMOKE_AWS_REGION" \
  '{access_key: $a, secret_key: $s, region: $r}')
login=$(curl_json -X POST -H 'content-type: application/json' -H "origin: $base" --data-binary @- "$base/api/login" <<<"$body")
token=$(jq -er '.token' <<<"$login")

echo "smoke: GET /api/user with the session's bearer token"
user=$(curl_json -H "authorization: Bearer $token" "$base/api/user")
jq -e '.logged_in == true' <<<"$user" >/dev/null

echo "smoke: sign out"
curl_json -X POST -H "authorization: Bearer $token" "$base/api/logout" >/dev/null
status=$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 20 -H "authorization: Bearer $token" "$base/api/user")
if [[ $status != 401 ]]; then
  echo "smoke: the token still works after sign-out (HTTP $status)" >&2
  exit 1
fi
echo "smoke: passed"

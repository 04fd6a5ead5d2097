#!/usr/bin/env bash
# The scripting API checked from outside, against the real binary on loopback with a throwaway
# demo database: the served OpenAPI document is validated by openapi-spec-validator, then
# schemathesis generates requests for every call from the document (valid and invalid ones,
# runs included) and checks that no answer is a 5xx and every answer matches the document
# (status, content type, body schema). Once with a User Administrator's token, once with an
# Enterprise User Manager's (organization moves).
#   scripts/api-check.sh [max examples per call, default 20]
# Needs the debug build (scripts/build.sh) and the Python packages (scripts/setup.sh test).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
examples=${1:-20}
venv=tools/api-check/.venv
work=$(mktemp -d /tmp/uc-admin-api-check.XXXXXX)
password=api-check-password
port=
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 40000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>>"$work/ports.log"; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "api-check: no free port" >&2; exit 1; }
base="http://127.0.0.1:$port"

# Jobs from 50 users on, so that runs also go through the job engine.
UC_ADMIN_DATABASE_URL="sqlite://$work/api-check.db?mode=rwc" UC_ADMIN_LISTEN="127.0.0.1:$port" \
  UC_ADMIN_DEMO_PASSWORD="$password" UC_ADMIN_API_REQUESTS_PER_SECOND=1000000 \
  UC_ADMIN_MOVE_JOB_THRESHOLD=50 UC_ADMIN_REPLICA_NAME=api-check \
  "${UC_ADMIN_BIN:-target/debug/uc-admin}" serve --demo >"$work/portal.log" 2>&1 &
portal=$!
trap 'kill "$portal" 2>>"$work/stop.log" || true; wait "$portal" 2>>"$work/stop.log" || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -sf "$base/readyz" -o "$work/ready" && break
  sleep 0.2
done

# A token of a demo operator, through the API page's server functions.
token_of() {
  local operator=$1 permissions=$2 jar="$work/$1.jar"
  curl -sf -c "$jar" -d "username=$operator&password=$password" "$base/api/sign_in" -o "$work/sign-in"
  curl -sf -b "$jar" -H 'content-type: application/json' \
    -d "{\"request\":{\"name\":\"api-check\",\"days\":1,\"permissions\":[$permissions]}}" \
    "$base/api/create_api_token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])'
}
user_admin=$(token_of useradmin '"view_deployment","manage_users"')
org_manager=$(token_of orgmanager '"view_deployment","move_users_between_organizations"')

echo "== OpenAPI document: openapi-spec-validator"
curl -sf "$base/api/v1/openapi.json" -o "$work/openapi.json"
"$venv/bin/openapi-spec-validator" "$work/openapi.json"

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
run() {
  "$venv/bin/schemathesis" run "$base/api/v1/openapi.json" --no-color \
    --checks "$checks" --max-examples "$examples" --phases examples,coverage,fuzzing \
    --generation-database none "$@"
}
echo "== schemathesis: every call, as a User Administrator's token"
run -H "Authorization: Bearer $user_admin" --exclude-path-regex '/org-move/'
echo "== schemathesis: organization moves, as an Enterprise User Manager's token"
run -H "Authorization: Bearer $org_manager" --include-path-regex '/org-move/|/pools$|/users$'
echo "api-check: passed"

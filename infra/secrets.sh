#!/bin/sh
# Generates every secret Quarry's stack uses, one file each, into SECRETS_DIR (default infra/secrets,
# kept out of git); files that already exist are kept. With --swarm, also creates them as Docker secrets
# (docker secret create <name> <file>) for stack.yml. Needs openssl and node.
set -eu

dir="${SECRETS_DIR:-$(dirname "$0")/secrets}"
mkdir -p "$dir"
# The directory keeps other host users out; the files stay readable by the (non-root) container users
# that compose bind-mounts them into.
chmod 700 "$dir"
umask 022

random() { openssl rand -hex "$1"; }

write() { # name value: writes the file unless it exists
  [ -e "$dir/$1" ] || printf '%s' "$2" > "$dir/$1"
}

write postgres_password "$(random 24)"
write redis_password "$(random 24)"
write s3_secret_key "$(random 24)"
write admin_password "$(random 12)"
write grafana_admin_password "$(random 12)"
write database_url "postgres://quarry:$(cat "$dir/postgres_password")@postgres:5432/quarry"
write redis_url "redis://:$(cat "$dir/redis_password")@redis:6379"
# An EdDSA signing key with a kid: rotate by putting a new key first and keeping the old one second.
write jwt_keys "$(node -e '
const { generateKeyPairSync } = require("node:crypto");
const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
process.stdout.write(JSON.stringify([{ ...jwk, kid: `quarry-${Date.now().toString(36)}`, alg: "EdDSA" }]));
')"

if [ "${1:-}" = "--swarm" ]; then
  for file in "$dir"/*; do
    name=$(basename "$file")
    if docker secret inspect "$name" >/dev/null 2>&1; then
      echo "secret $name exists: kept"
    else
      docker secret create "$name" "$file" >/dev/null && echo "secret $name created"
    fi
  done
fi
echo "secrets in $dir (first admin password: $dir/admin_password)"

#!/bin/sh
# Nightly snapshot of every Qdrant collection. Qdrant is derived from Postgres (reconcile-index rebuilds
# it), so this only shortens a restore; a failed snapshot fails the script all the same.
#   QDRANT_URL (default http://qdrant:6333), QDRANT_API_KEY or QDRANT_API_KEY_FILE, BACKUP_DIR, KEEP_DAYS
# Writes $BACKUP_DIR/qdrant/<UTC stamp>/<collection>.snapshot and removes the snapshot from the server.
set -eu
. "$(dirname "$0")/lib.sh"

base="${QDRANT_URL:-http://qdrant:6333}"
key=$(secret QDRANT_API_KEY)
root="${BACKUP_DIR:-/backups}/qdrant"
out="$root/$(stamp)"
mkdir -p "$out.partial"
trap 'rm -rf "$out.partial"' EXIT
trap 'exit 1' INT TERM

q() { # method path [curl args…]
  method=$1 path=$2
  shift 2
  if [ -n "$key" ]; then
    curl -fsS -X "$method" -H "api-key: $key" "$@" "$base$path"
  else
    curl -fsS -X "$method" "$@" "$base$path"
  fi
}

names() { grep -o '"name":"[^"]*"' | cut -d'"' -f4; }

# Assigned first so that a failed request stops the script (a pipeline would hide it).
listing=$(q GET /collections)
collections=$(printf '%s' "$listing" | names)
for collection in $collections; do
  log "qdrant-snapshot: $collection"
  created=$(q POST "/collections/$collection/snapshots?wait=true")
  name=$(printf '%s' "$created" | names | head -n 1)
  [ -n "$name" ] || { echo "qdrant-snapshot: no snapshot name for $collection" >&2; exit 1; }
  q GET "/collections/$collection/snapshots/$name" -o "$out.partial/$collection.snapshot"
  q DELETE "/collections/$collection/snapshots/$name" > /dev/null
done
mv "$out.partial" "$out"
prune "$root" "${KEEP_DAYS:-14}"
log "qdrant-snapshot: done ($(printf '%s\n' $collections | grep -c . || true) collections)"

#!/bin/sh
# Nightly Postgres dump (the system of record: users, chats, documents, chunks, embeddings, jobs).
#   DATABASE_URL or DATABASE_URL_FILE, BACKUP_DIR (default /backups), KEEP_DAYS (default 14)
# Writes $BACKUP_DIR/postgres/quarry-<UTC stamp>.dump (custom format: restore with pg_restore, see README).
set -eu
. "$(dirname "$0")/lib.sh"

url=$(secret DATABASE_URL)
[ -n "$url" ] || { echo "pg-dump: DATABASE_URL or DATABASE_URL_FILE is required" >&2; exit 2; }
out="${BACKUP_DIR:-/backups}/postgres"
mkdir -p "$out"
target="$out/quarry-$(stamp).dump"
partial="$target.partial"
trap 'rm -f "$partial"' EXIT
trap 'exit 1' INT TERM

log "pg-dump: dumping to $target"
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$partial" --dbname="$url"
# A dump that pg_restore cannot list is not a backup.
pg_restore --list "$partial" > /dev/null
mv "$partial" "$target"
prune "$out" "${KEEP_DAYS:-14}"
log "pg-dump: done ($(wc -c < "$target") bytes)"

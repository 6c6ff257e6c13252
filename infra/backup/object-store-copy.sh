#!/bin/sh
# Nightly copy of the object store (raw uploads, canonical texts, analysis artifacts) with the MinIO
# client. Nothing is removed from the copy, so every retained Postgres dump still finds its objects.
#   S3_ENDPOINT (default http://minio:9000), S3_BUCKET (default quarry), S3_ACCESS_KEY_ID,
#   S3_SECRET_ACCESS_KEY or S3_SECRET_ACCESS_KEY_FILE, BACKUP_DIR (default /backups)
# Writes $BACKUP_DIR/objects/<bucket>/… (or mirrors to BACKUP_TARGET, any `mc` path such as alias/bucket).
set -eu
. "$(dirname "$0")/lib.sh"

bucket="${S3_BUCKET:-quarry}"
secret_key=$(secret S3_SECRET_ACCESS_KEY)
[ -n "${S3_ACCESS_KEY_ID:-}" ] && [ -n "$secret_key" ] || {
  echo "object-store-copy: S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY(_FILE) are required" >&2
  exit 2
}
export MC_CONFIG_DIR="${MC_CONFIG_DIR:-/tmp/.mc}"
target="${BACKUP_TARGET:-${BACKUP_DIR:-/backups}/objects/$bucket}"
mkdir -p "${BACKUP_DIR:-/backups}/objects" 2> /dev/null || true

mc alias set quarry-source "${S3_ENDPOINT:-http://minio:9000}" "$S3_ACCESS_KEY_ID" "$secret_key" > /dev/null
log "object-store-copy: quarry-source/$bucket -> $target"
mc mirror --overwrite --preserve "quarry-source/$bucket" "$target"
log "object-store-copy: done"

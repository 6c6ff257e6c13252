#!/bin/sh
# The nightly backup, run by cron on a Swarm manager (or the compose host), e.g.
#   15 2 * * * /opt/quarry/infra/backup/nightly.sh >> /var/log/quarry-backup.log 2>&1
# Each step runs in a throwaway container on the stack's data network, with the secrets written by
# infra/secrets.sh mounted as /run/secrets. Copy BACKUP_DIR off the machine afterwards (restic, rsync…).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
secrets="${SECRETS_DIR:-$here/../secrets}"
backups="${BACKUP_DIR:-/var/backups/quarry}"
network="${BACKUP_NETWORK:-quarry_data}"
mkdir -p "$backups"

step() { # image script [docker run args…]
  image=$1 script=$2
  shift 2
  docker run --rm --network "$network" --user 0:0 --entrypoint /bin/sh \
    -v "$here:/backup:ro" -v "$secrets:/run/secrets:ro" -v "$backups:/backups" \
    -e BACKUP_DIR=/backups -e KEEP_DAYS="${KEEP_DAYS:-14}" "$@" "$image" "/backup/$script"
}

status=0
step "${PG_IMAGE:-postgres:17-alpine}" pg-dump.sh -e DATABASE_URL_FILE=/run/secrets/database_url || status=1
step "${CURL_IMAGE:-curlimages/curl:8.11.1}" qdrant-snapshot.sh -e QDRANT_URL=http://qdrant:6333 || status=1
step "${MC_IMAGE:-minio/mc}" object-store-copy.sh -e S3_ENDPOINT=http://minio:9000 -e S3_BUCKET=quarry \
  -e S3_ACCESS_KEY_ID=quarry -e S3_SECRET_ACCESS_KEY_FILE=/run/secrets/s3_secret_key || status=1
exit "$status"

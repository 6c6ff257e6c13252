# Shared by the backup scripts: secrets from <NAME>_FILE (Swarm/compose secrets) and retention.

# secret NAME: the value of $NAME, or the contents of the file named by $NAME_FILE.
secret() {
  eval "value=\${$1:-}"
  eval "file=\${$1_FILE:-}"
  if [ -z "$value" ] && [ -n "$file" ]; then value=$(cat "$file"); fi
  printf '%s' "$value"
}

# prune DIR DAYS: removes entries of DIR older than DAYS days.
prune() {
  find "$1" -mindepth 1 -maxdepth 1 -mtime "+$2" -exec rm -rf {} +
}

stamp() { date -u +%Y%m%dT%H%M%SZ; }

log() { echo "$(date -u +%FT%TZ) $*"; }

#!/usr/bin/env bash
# Backup and restore of the console's data (everything is in Postgres; Redis holds only queued
# jobs, which the worker's sweeper re-queues from the operations table).
#
#   DATABASE_URL=postgresql://… infra/compose/backup.sh dump FILE      # pg_dump, custom format
#   DATABASE_URL=postgresql://… infra/compose/backup.sh restore FILE   # into that database, replacing what is there
#
# With compose: docker compose exec -T postgres pg_dump -U nvi -Fc nvi >nvi.dump
#               docker compose exec -T postgres pg_restore -U nvi -d nvi --clean --if-exists --no-owner <nvi.dump
# Stop the console and the worker before a restore, start them after (migrations then bring an
# older dump up to this release). Running hosts keep forwarding throughout: their VEBs keep their
# flows (fail_mode=secure); when the worker's TSC comes back it reinstalls the restored state.
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL to the database of the console}"
case "${1:-}" in
  dump)
    [ -n "${2:-}" ] || { echo "usage: backup.sh dump FILE" >&2; exit 2; }
    pg_dump --format=custom --no-owner --file="$2" "$DATABASE_URL"
    echo "dumped to $2 ($(du -h "$2" | cut -f1))"
    ;;
  restore)
    [ -r "${2:-}" ] || { echo "usage: backup.sh restore FILE (a file from backup.sh dump)" >&2; exit 2; }
    pg_restore --clean --if-exists --no-owner --single-transaction --dbname="$DATABASE_URL" "$2"
    echo "restored $2"
    ;;
  *)
    echo "usage: backup.sh dump FILE | restore FILE" >&2
    exit 2
    ;;
esac

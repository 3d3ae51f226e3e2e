#!/bin/sh
# First start of an empty $PGDATA: ROLE=primary runs initdb (SCRAM passwords, replication
# allowed from the network, the application's role and database); ROLE=standby clones the
# primary (PRIMARY_HOST) with pg_basebackup -R and so becomes a streaming hot standby.
# Then PostgreSQL runs in the foreground. Settings: POSTGRES_PASSWORD (required), PGPORT
# (5432), APP_USER / APP_PASSWORD / APP_DB (primary only), PRIMARY_HOST / PRIMARY_PORT.
set -eu
: "${ROLE:?set ROLE=primary or ROLE=standby}" "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
export PGPORT="${PGPORT:-5432}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  case "$ROLE" in
    primary)
      pwfile=$(mktemp)
      printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
      initdb -D "$PGDATA" -U postgres --pwfile="$pwfile" --auth-local=peer --auth-host=scram-sha-256 >/dev/null
      rm -f "$pwfile"
      cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = '*'
port = $PGPORT
wal_level = replica
max_wal_senders = 10
wal_keep_size = '256MB'
hot_standby = on
CONF
      printf 'host all all all scram-sha-256\nhost replication all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
      if [ -n "${APP_USER:-}" ]; then
        pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
        psql -X -q -v ON_ERROR_STOP=1 -d postgres \
             -v user="$APP_USER" -v password="${APP_PASSWORD:-$APP_USER}" -v db="${APP_DB:-$APP_USER}" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"user";
SQL
        pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
      fi
      ;;
    standby)
      : "${PRIMARY_HOST:?set PRIMARY_HOST for a standby}"
      until PGPASSWORD="$POSTGRES_PASSWORD" pg_basebackup -h "$PRIMARY_HOST" -p "${PRIMARY_PORT:-5432}" \
              -U postgres -D "$PGDATA" -R -X stream -c fast 2>/dev/null; do
        echo "pg-entrypoint: waiting for the primary at $PRIMARY_HOST" >&2
        rm -rf "${PGDATA:?}"/* 
        sleep 2
      done
      echo "port = $PGPORT" >>"$PGDATA/postgresql.auto.conf"
      ;;
    *) echo "pg-entrypoint: ROLE must be primary or standby, got '$ROLE'" >&2; exit 1 ;;
  esac
fi
chmod 0700 "$PGDATA"  # PostgreSQL refuses a group- or world-readable data directory
exec postgres -D "$PGDATA"

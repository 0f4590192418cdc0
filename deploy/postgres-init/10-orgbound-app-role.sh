#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory: creates the API's
# runtime role. The API creates it itself only when it derives its runtime URL from DATABASE_URL;
# behind pgbouncer it is given APP_DATABASE_URL instead (src/app/operations/provision.ts), so the role must exist
# before the first replica starts. NOSUPERUSER NOBYPASSRLS: the API refuses to start otherwise.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -v password="$APP_DB_PASSWORD" <<'SQL'
create role orgbound_app with login nosuperuser nobypassrls nocreatedb nocreaterole noinherit password :'password';
SQL

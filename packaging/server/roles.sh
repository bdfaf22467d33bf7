#!/bin/sh
# First start of the server: the two faceapp roles (passwords from the environment, never in a file
# that is committed). Runs as the superuser inside the container's init.
set -e
psql -v ON_ERROR_STOP=1 -d faceapp \
     -v admin_pw="$FACEAPP_ADMIN_PASSWORD" -v door_pw="$FACEAPP_DOOR_PASSWORD" -f /dev/stdin <<'SQL'
CREATE EXTENSION IF NOT EXISTS vector;  -- the superuser's job: faceapp_admin then owns the tables
CREATE ROLE faceapp_admin LOGIN PASSWORD :'admin_pw';
CREATE ROLE faceapp_door LOGIN PASSWORD :'door_pw';
GRANT CREATE, USAGE ON SCHEMA public TO faceapp_admin;
GRANT CONNECT ON DATABASE faceapp TO faceapp_admin, faceapp_door;
SQL

-- Least privilege for doors. Run as faceapp_admin AFTER the admin's first `faceapp ... door` start
-- has created the tables (the schema belongs to faceapp_admin):
--   psql "postgresql://faceapp_admin@SERVER/faceapp?sslmode=verify-full" -f door_role.sql
-- A door reads people, samples, embeddings, model versions and settings, and inserts events and
-- attendance records; it cannot enrol, edit, delete, change settings or read anyone's face crops
-- beyond what recognition needs (it needs none: the crops column is not granted).
GRANT USAGE ON SCHEMA public TO faceapp_door;
GRANT SELECT ON people, model_versions, model_files, embeddings, settings, gallery_state, faceapp_schema TO faceapp_door;
GRANT SELECT (id, person_id, source, quality, mask_kind, parent_id, created) ON samples TO faceapp_door;
GRANT SELECT, INSERT ON events, attendance TO faceapp_door;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO faceapp_door;

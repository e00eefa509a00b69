-- A container's network (outbound connectivity and DNS) can be turned off; it is on unless
-- its user says otherwise, for the containers made before too.
ALTER TABLE containers ADD COLUMN network BOOLEAN NOT NULL DEFAULT 1;

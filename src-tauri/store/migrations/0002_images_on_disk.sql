-- Images moved to the runtime's on-disk store (one directory per fingerprint, written by a
-- rename), so that `hoodyd image import` can add one while a server runs.
DROP TABLE images;

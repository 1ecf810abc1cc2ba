/**
 * Settings for the replication connection (pg ClientConfig `options`). The walsender formats values
 * with its session's settings and the encoders parse exactly these styles; the database's or role's
 * own defaults (DateStyle 'SQL, DMY', IntervalStyle iso_8601, another TimeZone…) are overridden.
 */
export const REPLICATION_SESSION_OPTIONS =
  '-c DateStyle=ISO -c TimeZone=UTC -c IntervalStyle=postgres -c extra_float_digits=3 -c bytea_output=hex';

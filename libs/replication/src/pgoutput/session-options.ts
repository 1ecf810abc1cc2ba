/**
 * Settings for the replication connection (pg ClientConfig `options`). The walsender formats values
 * with its session's settings and the encoders parse exactly these styles; the database's or role's
 * own defaults (DateStyle 'SQL, DMY', IntervalStyle iso_8601, another TimeZone, a money format of
 * the database's locale such as `1.234,56 €`…) are overridden.
 */
export const REPLICATION_SESSION_OPTIONS =
  '-c DateStyle=ISO -c TimeZone=UTC -c IntervalStyle=postgres -c extra_float_digits=3 -c bytea_output=hex' +
  ' -c lc_monetary=C';

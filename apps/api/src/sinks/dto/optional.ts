import { ValidateIf } from 'class-validator';

/**
 * The field may be left out, but `null` is not a value for it: unlike @IsOptional (which skips the
 * checks for null too), only an absent field skips the other checks.
 */
export const IsOptionalNotNull = (): PropertyDecorator =>
  ValidateIf((_object: object, value: unknown) => value !== undefined);

/** Largest value of a Postgres `integer` column: anything above would fail at insert with a 500. */
export const INT4_MAX = 2_147_483_647;

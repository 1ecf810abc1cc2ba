/** The request field a source problem is about, so the API can report it next to that field. */
export type SourceField =
  'hostname' | 'port' | 'database' | 'username' | 'password' | 'ssl' | 'publication_name' | 'slot_name';

export interface SourceProblem {
  field: SourceField;
  /** A human reason, safe to show: never contains the password. */
  reason: string;
  /** The source did not answer in time (the API answers 504 rather than 502 where it matters). */
  timedOut: boolean;
}

/** Thrown by the source helpers for every failure the user can fix or retry; never a bug. */
export class SourceProblemError extends Error {
  constructor(readonly problem: SourceProblem) {
    super(problem.reason);
    this.name = 'SourceProblemError';
  }
}

const TIMEOUT_MESSAGES = ['timeout expired', 'Query read timeout', 'Connection terminated due to connection timeout'];
/** SQLSTATE 57014: statement_timeout cancelled the query. */
const QUERY_CANCELED = '57014';

interface DriverError {
  code?: unknown;
  message?: unknown;
}

const driverError = (error: unknown): DriverError =>
  typeof error === 'object' && error !== null ? (error as DriverError) : {};

export function messageOf(error: unknown): string {
  const message = driverError(error).message;
  return typeof message === 'string' && message.length > 0 ? message : String(error);
}

export function isTimeout(error: unknown): boolean {
  const { code } = driverError(error);
  return code === 'ETIMEDOUT' || code === QUERY_CANCELED || TIMEOUT_MESSAGES.includes(messageOf(error));
}

export function sourceProblem(field: SourceField, reason: string, timedOut = false): SourceProblemError {
  return new SourceProblemError({ field, reason, timedOut });
}

/** A failure while opening the connection, attributed to the field the user most likely got wrong. */
export function connectionProblem(error: unknown): SourceProblemError {
  if (error instanceof SourceProblemError) return error;
  const { code } = driverError(error);
  const message = messageOf(error);
  if (code === '28P01') return sourceProblem('password', message);
  if (code === '28000') return sourceProblem('username', message);
  if (code === '3D000') return sourceProblem('database', message);
  if (/\bSSL\b|certificate|TLS/i.test(message)) return sourceProblem('ssl', `could not connect: ${message}`);
  return sourceProblem('hostname', `could not connect: ${message}`, isTimeout(error));
}

/** Runs one step against the source; its failure becomes a problem on `field`, prefixed by `what`. */
export async function attempt<T>(field: SourceField, what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof SourceProblemError) throw error;
    throw sourceProblem(field, `${what}: ${messageOf(error)}`, isTimeout(error));
  }
}

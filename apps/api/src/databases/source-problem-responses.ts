import {
  UpstreamError,
  UpstreamTimeoutError,
  ValidationError,
  type ValidationErrors,
} from '#core/errors/api-errors.js';
import type { SourceField, SourceProblem } from '#core/source/source-problem.js';

const URL_PARTS: SourceField[] = ['hostname', 'port', 'database', 'username', 'password'];

/** The request field the problem belongs to; slot fields nest under `replication_slots`. */
function fieldErrors(problem: SourceProblem, usedUrl: boolean): ValidationErrors {
  if (problem.field === 'publication_name' || problem.field === 'slot_name') {
    return { replication_slots: { [problem.field]: [problem.reason] } };
  }
  const field = usedUrl && URL_PARTS.includes(problem.field) ? 'url' : problem.field;
  return { [field]: [problem.reason] };
}

/** Create and update: the source is not usable as given. */
export function sourceValidationError(problem: SourceProblem, usedUrl: boolean): ValidationError {
  return new ValidationError(`The source database cannot be used: ${problem.reason}`, fieldErrors(problem, usedUrl));
}

/** test_connection: Sequin's `{success: false, reason}` on top of the error shape. */
export function connectionTestFailure(problem: SourceProblem): ValidationError {
  return new ValidationError(`Connection test failed: ${problem.reason}`, fieldErrors(problem, false), {
    success: false,
    reason: problem.reason,
  });
}

/** A stored database whose source now fails: the upstream refused (502) or timed out (504). */
export function upstreamError(problem: SourceProblem): UpstreamError | UpstreamTimeoutError {
  const summary = `The source database failed: ${problem.reason}`;
  return problem.timedOut ? new UpstreamTimeoutError(summary) : new UpstreamError(summary);
}

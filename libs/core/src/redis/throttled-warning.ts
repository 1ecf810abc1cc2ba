/** How often one source of errors may log while its connection is down. */
export const WARNING_INTERVAL_MS = 10_000;

/**
 * A handler for a client's 'error' events that logs the same error at most once per `intervalMs`,
 * saying how many it left out (a different error is logged at once): while Redis is down, every
 * client reports every reconnect attempt.
 */
export function throttledWarning(
  logger: { warn(message: string): void },
  label: string,
  intervalMs = WARNING_INTERVAL_MS,
  now: () => number = Date.now,
): (error: Error) => void {
  let lastAt = -Infinity;
  let lastMessage = '';
  let leftOut = 0;
  return (error) => {
    const at = now();
    if (at - lastAt < intervalMs && error.message === lastMessage) {
      leftOut++;
      return;
    }
    const more = leftOut === 0 ? '' : ` (and ${leftOut} more since the last warning)`;
    logger.warn(`${label}: ${error.message}${more}`);
    lastAt = at;
    lastMessage = error.message;
    leftOut = 0;
  };
}

import { throttledWarning } from './throttled-warning.js';

describe('throttledWarning', () => {
  it('logs the first error, then at most one per interval, counting those it left out', () => {
    const lines: string[] = [];
    let clock = 0;
    const warn = throttledWarning({ warn: (line) => lines.push(line) }, 'maintenance queue', 1000, () => clock);
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    warn(refused);
    clock = 400;
    warn(refused);
    clock = 999;
    warn(refused);
    clock = 1000;
    warn(new Error('Connection is closed.'));
    clock = 5000;
    warn(refused);
    expect(lines).toEqual([
      'maintenance queue: connect ECONNREFUSED 127.0.0.1:6379',
      'maintenance queue: Connection is closed. (and 2 more since the last warning)',
      'maintenance queue: connect ECONNREFUSED 127.0.0.1:6379',
    ]);
  });
});

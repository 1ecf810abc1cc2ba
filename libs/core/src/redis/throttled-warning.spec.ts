import { throttledWarning } from './throttled-warning.js';

describe('throttledWarning', () => {
  it('logs an error, then the same one at most once per interval, counting those it left out', () => {
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
    warn(refused);
    clock = 1200;
    warn(new Error('NOAUTH Authentication required.')); // another error: at once
    clock = 1300;
    warn(new Error('NOAUTH Authentication required.'));
    expect(lines).toEqual([
      'maintenance queue: connect ECONNREFUSED 127.0.0.1:6379',
      'maintenance queue: connect ECONNREFUSED 127.0.0.1:6379 (and 2 more since the last warning)',
      'maintenance queue: NOAUTH Authentication required.',
    ]);
  });
});

import { readFileSync } from 'node:fs';
import { WORKER_NODE_FLAGS } from './node-flags.js';

const root = new URL('../../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

describe('WORKER_NODE_FLAGS', () => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

  it.each(['start', 'start:worker', 'bench'])('are on the command line of `npm run %s`', (script) => {
    for (const flag of WORKER_NODE_FLAGS) expect(scripts[script]).toContain(` ${flag} `);
  });

  it("are on the command line of docker-compose.yml's worker", () => {
    const worker = /^ {2}worker:\n(?:.*\n)*? {4}command: (\[.*\])$/m.exec(read('docker-compose.yml'));
    expect(worker).not.toBeNull();
    const command = JSON.parse(worker![1]!) as string[];
    expect(command).toEqual(expect.arrayContaining([...WORKER_NODE_FLAGS]));
  });
});

// Builds dist/ (`nest build api`) unless a build is newer than every TypeScript source and build
// setting: what `npm start`, `start:api`, `start:worker`, `migrate`, `openapi` and `bench` run first.
// Plain JavaScript, as it runs before anything is compiled. One build at a time: nest-cli empties
// dist/ first (deleteOutDir), which an api and a worker started together from one checkout would
// otherwise do to each other. With dist/ current it needs no dev dependency (`npm ci --omit=dev`).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout as delay } from 'node:timers/promises';

const root = join(import.meta.dirname, '..');
const STAMP = join(root, 'dist', '.build-stamp');
const LOCK = join(root, '.build.lock');
const SOURCE_DIRS = ['apps', 'libs', 'migrations', 'scripts', 'bench'];
const SETTINGS = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json'];
/** A lock older than this was left by a build that died. */
const STALE_LOCK_MS = 10 * 60_000;

function newestSource() {
  let newest = 0;
  const visit = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, dir))) visit(join(root, dir));
  for (const file of SETTINGS)
    if (existsSync(join(root, file))) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  return newest;
}

const current = () => existsSync(STAMP) && statSync(STAMP).mtimeMs >= newestSource();

async function lock() {
  for (;;) {
    try {
      mkdirSync(LOCK);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      else await delay(200);
    }
  }
}

if (!current()) {
  await lock();
  try {
    if (!current()) {
      const started = new Date();
      const nest = join(root, 'node_modules', '.bin', 'nest');
      if (!existsSync(nest)) {
        process.stderr.write(
          'sluice: dist/ is missing or older than the sources, and the Nest CLI is not installed: run `npm ci`\n',
        );
        process.exit(1);
      }
      const build = spawnSync(nest, ['build', 'api'], { cwd: root, stdio: 'inherit' });
      if (build.status !== 0) process.exit(build.status ?? 1);
      // Stamped with the build's start: a source saved while it ran makes the next start build again.
      closeSync(openSync(STAMP, 'w'));
      utimesSync(STAMP, started, started);
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

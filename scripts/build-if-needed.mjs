// Builds dist/ (`nest build api`) unless a build is newer than every TypeScript source and build
// setting: what `npm start`, `start:api`, `start:worker`, `migrate`, `openapi` and `bench` run first;
// `npm run build` (`--force`) always builds. Plain JavaScript, as it runs before anything is compiled.
// One build at a time: nest-cli empties dist/ first (deleteOutDir), which an api and a worker started
// together from one checkout would otherwise do to each other. With dist/ current it needs no dev
// dependency (`npm ci --omit=dev`).
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout as delay } from 'node:timers/promises';

const root = join(import.meta.dirname, '..');
const STAMP = join(root, 'dist', '.build-stamp');
/** Holds the building process's pid; a lock whose process is gone is taken over. */
const LOCK = join(root, '.build.lock');
const SOURCE_DIRS = ['apps', 'libs', 'migrations', 'scripts', 'bench'];
const SETTINGS = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json'];
const force = process.argv.includes('--force');

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
  for (const file of SETTINGS) {
    if (existsSync(join(root, file))) newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  }
  return newest;
}

const current = () => existsSync(STAMP) && statSync(STAMP).mtimeMs >= newestSource();

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** The pid in the lock (NaN while it is being written), or null when there is no lock. */
function lockHolder() {
  try {
    return Number(readFileSync(LOCK, 'utf8'));
  } catch (error) {
    if (error.code === 'ENOENT') return null;
    throw error;
  }
}

/** Takes the lock, waiting while a live process holds it. */
async function lock() {
  let told = false;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const holder = lockHolder();
    if (holder === null) continue; // released meanwhile
    // An empty file is a lock being written this instant; a dead holder's lock is removed.
    if (holder > 0 && !alive(holder)) {
      rmSync(LOCK, { force: true });
      continue;
    }
    if (!told) process.stderr.write(`sluice: waiting for another build (${LOCK})\n`);
    told = true;
    await delay(200);
  }
}

function build() {
  const nest = join(root, 'node_modules', '.bin', 'nest');
  if (!existsSync(nest)) {
    process.stderr.write(
      'sluice: dist/ is missing or older than the sources, and the Nest CLI is not installed: run `npm ci`\n',
    );
    return 1;
  }
  const started = new Date();
  const result = spawnSync(nest, ['build', 'api'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) return result.status ?? 1;
  // Stamped with the build's start: a source saved while it ran makes the next start build again.
  closeSync(openSync(STAMP, 'w'));
  utimesSync(STAMP, started, started);
  return 0;
}

if (force || !current()) {
  await lock();
  try {
    if (force || !current()) process.exitCode = build();
  } finally {
    rmSync(LOCK, { force: true });
  }
}

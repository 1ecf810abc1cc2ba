// Node module hooks (module.register, Node >= 20.6) that let plain Node, outside jest's module runtime,
// import this repository's TypeScript sources as ESM: `./x.js` resolves to `./x.ts` when only that
// exists, `#core/*` maps to sources, and `.ts` files are transpiled (no type check; outputs cached in
// node_modules/.cache/sluice-ts). Registered by jest-global-setup.mjs, jest-global-teardown.mjs and
// register-ts.mjs.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pid } from 'node:process';
import { fileURLToPath, URL } from 'node:url';

// `module` and `target` are set from the TypeScript enums once the compiler is loaded.
const COMPILER_OPTIONS = {
  module: 'ESNext',
  target: 'ES2023',
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  useDefineForClassFields: false,
  esModuleInterop: true,
  inlineSourceMap: true,
};

function isTypeScript(url) {
  return url?.startsWith('file:') && url.endsWith('.ts') && !url.includes('/node_modules/');
}

export async function resolve(specifier, context, nextResolve) {
  if (!isTypeScript(context.parentURL)) return nextResolve(specifier, context);
  // package.json "imports" map `#core/*` to sources under this condition (as tsconfig customConditions does).
  const sourceContext = { ...context, conditions: [...context.conditions, 'sluice-source'] };
  try {
    return await nextResolve(specifier, sourceContext);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !specifier.endsWith('.js')) throw error;
    return nextResolve(specifier.replace(/\.js$/, '.ts'), sourceContext);
  }
}

export async function load(url, context, nextLoad) {
  if (!isTypeScript(url)) return nextLoad(url, context);
  const source = await readFile(fileURLToPath(url), 'utf8');
  return { format: 'module', source: await transpiled(url, source), shortCircuit: true };
}

// Transpiling is most of a spawned process's start-up time: outputs are kept by content hash, so every
// spawn after the first (tests start many processes) reuses them, and an edited file gets a new entry.
const CACHE_DIR = fileURLToPath(new URL('../../../node_modules/.cache/sluice-ts/', import.meta.url));
const TS_VERSION = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('typescript/package.json'))).version;
const CACHE_SALT = `${TS_VERSION}:${JSON.stringify(COMPILER_OPTIONS)}`;
// Loading the compiler takes about half a second: only on a cache miss.
let compiler;

function loadCompiler() {
  compiler ??= import('typescript').then(({ default: ts }) => ({
    ts,
    options: { ...COMPILER_OPTIONS, module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023 },
  }));
  return compiler;
}

async function transpiled(url, source) {
  const key = createHash('sha256').update(`${CACHE_SALT}\0${url}\0${source}`).digest('hex');
  const file = `${CACHE_DIR}${key}.js`;
  const cached = await readFile(file, 'utf8').catch(() => undefined);
  if (cached !== undefined) return cached;
  const { ts, options } = await loadCompiler();
  const { outputText } = ts.transpileModule(source, { fileName: url, compilerOptions: options });
  // Written under a unique name, then renamed: concurrent processes never read a partial file.
  const partial = `${file}.${pid}.${Math.random().toString(36).slice(2)}`;
  await mkdir(CACHE_DIR, { recursive: true })
    .then(() => writeFile(partial, outputText))
    .then(() => rename(partial, file))
    .catch(() => undefined); // a cache that cannot be written only costs time
  return outputText;
}

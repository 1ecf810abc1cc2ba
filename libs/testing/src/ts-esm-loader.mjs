// Node module hooks (module.register, Node >= 20.6) that let plain Node, outside jest's module runtime,
// import this repository's TypeScript sources as ESM: `./x.js` resolves to `./x.ts` when only that
// exists, `#core/*` maps to sources, and `.ts` files are transpiled (no type check). Registered by
// jest-global-setup.mjs and jest-global-teardown.mjs.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const COMPILER_OPTIONS = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2023,
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
  const { outputText } = ts.transpileModule(source, { fileName: url, compilerOptions: COMPILER_OPTIONS });
  return { format: 'module', source: outputText, shortCircuit: true };
}

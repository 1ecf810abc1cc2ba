// jest loads globalSetup/globalTeardown with require(), which cannot load our TypeScript ESM sources
// (`./x.js` imports of `.ts` files, `#core/*` imports). This shim registers module hooks that can,
// then runs global-teardown.ts. Point jest.config.js's globalTeardown here.
import { register } from 'node:module';

const LOADER_REGISTERED = Symbol.for('sluice.tsEsmLoaderRegistered');

export default async function (...args) {
  if (!globalThis[LOADER_REGISTERED]) {
    register('./ts-esm-loader.mjs', import.meta.url);
    globalThis[LOADER_REGISTERED] = true;
  }
  const { default: globalTeardown } = await import('./global-teardown.ts');
  return globalTeardown(...args);
}

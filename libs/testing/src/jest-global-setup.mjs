// jest loads globalSetup/globalTeardown with require(), which cannot load our TypeScript ESM sources
// (`./x.js` imports of `.ts` files, `#core/*` imports). This shim registers module hooks that can,
// then runs global-setup.ts. Point jest.config.js's globalSetup here.
import { register } from 'node:module';

const LOADER_REGISTERED = Symbol.for('sluice.tsEsmLoaderRegistered');

export default async function (...args) {
  if (!globalThis[LOADER_REGISTERED]) {
    register('./ts-esm-loader.mjs', import.meta.url);
    globalThis[LOADER_REGISTERED] = true;
  }
  const { default: globalSetup } = await import('./global-setup.ts');
  return globalSetup(...args);
}

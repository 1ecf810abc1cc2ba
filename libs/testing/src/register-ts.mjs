// `node --import ./libs/testing/src/register-ts.mjs file.ts`: runs the TypeScript sources directly
// (tests spawn real worker processes this way, to kill them with SIGKILL).
import { register } from 'node:module';

register('./ts-esm-loader.mjs', import.meta.url);

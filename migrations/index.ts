import { InitialSchema1763890000000 } from './1763890000000-initial-schema.js';

/** In order. Listed explicitly: globbing compiled files is fragile under ESM. */
export const MIGRATIONS = [InitialSchema1763890000000];

import { InitialSchema1763890000000 } from './1763890000000-initial-schema.js';
import { ParkedMessages1763900000000 } from './1763900000000-parked-messages.js';
import { StreamMessages1763910000000 } from './1763910000000-stream-messages.js';
import { Backfills1763920000000 } from './1763920000000-backfills.js';
import { StreamReceive1763930000000 } from './1763930000000-stream-receive.js';
import { ParkedGroups1763940000000 } from './1763940000000-parked-groups.js';
import { StreamMessagesAccountFk1763950000000 } from './1763950000000-stream-messages-account-fk.js';
import { StreamReceiveAsyncCommit1763960000000 } from './1763960000000-stream-receive-async-commit.js';
import { StreamStoreFunction1763970000000 } from './1763970000000-stream-store-function.js';
import { StreamMessagesSinkFk1763980000000 } from './1763980000000-stream-messages-sink-fk.js';

/** In order. Listed explicitly: globbing compiled files is fragile under ESM. */
export const MIGRATIONS = [
  InitialSchema1763890000000,
  ParkedMessages1763900000000,
  StreamMessages1763910000000,
  Backfills1763920000000,
  StreamReceive1763930000000,
  ParkedGroups1763940000000,
  StreamMessagesAccountFk1763950000000,
  StreamReceiveAsyncCommit1763960000000,
  StreamStoreFunction1763970000000,
  StreamMessagesSinkFk1763980000000,
];

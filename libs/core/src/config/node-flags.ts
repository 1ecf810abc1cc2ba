/**
 * V8 flags for a process that runs the worker (`npm start`, `npm run start:worker`, the worker in
 * docker-compose.yml, the bench). They must be on the command line: V8 sizes its heap when it
 * starts, and Node refuses them in NODE_OPTIONS. node-flags.spec.ts checks every place that starts one.
 *
 * --min-semi-space-size=16: the young generation starts at the size it would grow to (16 MB semi-spaces
 * are V8's default maximum here), instead of growing from 1 MB. A message lives for milliseconds to a
 * second (the recently delivered list keeps the last ones); with a small young generation that is
 * several young collections, so whole messages were promoted and the heap filled up between full
 * collections. The worker settled either around 160 MB RSS or, in some runs, sawed between 220 and
 * 290 MB at 10k changes/s. With the flag, two 120 s runs of the memory bench stayed flat at 155 and
 * 158 MB (without it: 158, 250, 269, 247 MB), a 10-minute one went 162 -> 166 MB, and catch-up CPU
 * per change was unchanged (19.2 against 19.5-19.7 us, two pairs).
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=16'];

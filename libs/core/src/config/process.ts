import { ConfigError } from './config.js';

export type Closer = () => Promise<void>;
/** Registers something to close at shutdown; closers run in reverse order of registration. */
export type OnShutdown = (close: Closer) => void;

/**
 * Runs a Sluice process. `start` registers what it starts with `onShutdown`. The first SIGINT or SIGTERM
 * closes everything and exits 0; a second one exits at once. If `start` fails, what it started is closed
 * and the process exits 1: a ConfigError prints exactly one line, `sluice: configuration error: …`.
 */
export function runProcess(start: (onShutdown: OnShutdown) => Promise<void>): void {
  const closers: Closer[] = [];
  let stopping = false;

  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        process.stderr.write(`sluice: error while stopping: ${describe(error)}\n`);
      }
    }
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`sluice: ${signal} again, exiting without waiting\n`);
      process.exit(130);
    }
    stopping = true;
    const again = signal === 'SIGINT' ? 'press Ctrl-C again' : `send ${signal} again`;
    process.stderr.write(`sluice: ${signal} received, stopping (${again} to force)\n`);
    void closeAll().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  start((close) => closers.push(close)).catch(async (error: unknown) => {
    stopping = true;
    await closeAll();
    process.stderr.write(
      error instanceof ConfigError
        ? `sluice: configuration error: ${error.message}\n`
        : `sluice: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

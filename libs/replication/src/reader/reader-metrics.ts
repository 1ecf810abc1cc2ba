/** What a reader reports for metrics; the worker implements it over prom-client. */
export interface ReaderMetrics {
  ingested(sinkId: string, sinkName: string): void;
  delivered(sinkId: string, sinkName: string, commitTimestamps: readonly string[]): void;
  failed(sinkId: string, sinkName: string): void;
}

export const NO_METRICS: ReaderMetrics = {
  ingested: () => undefined,
  delivered: () => undefined,
  failed: () => undefined,
};

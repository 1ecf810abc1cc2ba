/** 200 of GET /health: the metadata Postgres and the internal Redis answer. */
export class HealthyDto {
  ok!: true;
}

/** 503 of GET /health: which dependency failed, and why. */
export class UnhealthyDto {
  ok!: false;
  summary!: string;
  /** Each failing dependency (`postgres`, `redis`) and its error. */
  failed!: Record<string, string>;
}

/**
 * A json / jsonb column value kept as Postgres' text. Message JSON embeds the text as it is (it is
 * JSON already; jsonb's output is canonical) instead of parsing it for every change and serialising
 * it again (the parse alone was 5 % of the catch-up's CPU). Anywhere else it behaves as the parsed value:
 * JSON.stringify (API responses, stored records) serialises what toJSON returns. Raw text also keeps
 * numbers beyond a double's precision exact for consumers that can read them.
 */
export class JsonText {
  constructor(readonly text: string) {}

  toJSON(): unknown {
    try {
      return JSON.parse(this.text) as unknown;
    } catch {
      return this.text;
    }
  }
}

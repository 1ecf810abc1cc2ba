import { PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';

const keepText = (text: string): string => text;

/**
 * pgoutput with every value left in Postgres' text form. The library runs `pg`'s global type parsers
 * on tuple values (timestamptz → Date loses microseconds, int8 → string, json → object…); it reads
 * them from each RelationColumn's `parser`, and keeps the Relation object it returns as its relation
 * cache, so swapping the parser here — before the next message is parsed — makes every later tuple raw.
 * An unchanged TOAST value ('u') then reads as the old row's text when the old row is known, else undefined.
 */
export class RawTextPgoutputPlugin extends PgoutputPlugin {
  override parse(buffer: Buffer): Pgoutput.Message {
    const message = super.parse(buffer);
    if (message.tag === 'relation') {
      for (const column of message.columns) column.parser = keepText;
    }
    return message;
  }
}

export type ArrayLiteral = Array<string | null | ArrayLiteral>;

/**
 * Parses Postgres' array output (`{1,NULL,"a \"b\""}`, `{{1,2},{3,4}}`, `[0:1]={1,2}`) into nested
 * arrays of element texts; NULL elements become null. Returns null when the text is not an array literal.
 */
export function parseArrayLiteral(text: string, delimiter = ','): ArrayLiteral | null {
  let start = 0;
  if (text.charCodeAt(0) === BRACKET) {
    // Non-default lower bounds are printed as a dimension decoration, e.g. `[0:1]={1,2}`.
    start = text.indexOf('=') + 1;
    if (start === 0) return null;
  }
  if (text.charCodeAt(start) !== OPEN) return null;
  const parser = new ArrayLiteralParser(text, delimiter.charCodeAt(0));
  parser.position = start;
  const result = parser.parseArray();
  return result !== null && parser.position === text.length ? result : null;
}

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const BRACKET = 0x5b; // [

class ArrayLiteralParser {
  position = 0;

  constructor(
    private readonly text: string,
    private readonly delimiter: number,
  ) {}

  /** At `{`; leaves the position after the matching `}`. */
  parseArray(): ArrayLiteral | null {
    const { text } = this;
    const items: ArrayLiteral = [];
    this.position++;
    this.skipSpaces();
    if (text.charCodeAt(this.position) === CLOSE) {
      this.position++;
      return items;
    }
    for (;;) {
      this.skipSpaces();
      const code = text.charCodeAt(this.position);
      let item: string | null | ArrayLiteral;
      if (code === OPEN) {
        const nested = this.parseArray();
        if (nested === null) return null;
        item = nested;
      } else if (code === QUOTE) {
        const quoted = this.parseQuoted();
        if (quoted === null) return null;
        item = quoted;
      } else {
        item = this.parseUnquoted();
      }
      items.push(item);
      this.skipSpaces();
      const next = text.charCodeAt(this.position++);
      if (next === CLOSE) return items;
      if (next !== this.delimiter) return null;
    }
  }

  private parseQuoted(): string | null {
    const { text } = this;
    let value = '';
    let chunkStart = ++this.position;
    while (this.position < text.length) {
      const code = text.charCodeAt(this.position);
      if (code === QUOTE) {
        value += text.slice(chunkStart, this.position++);
        return value;
      }
      if (code === BACKSLASH) {
        value += text.slice(chunkStart, this.position);
        chunkStart = ++this.position; // keep the escaped character
      }
      this.position++;
    }
    return null;
  }

  private parseUnquoted(): string | null {
    const { text } = this;
    let value = '';
    let escaped = false;
    let chunkStart = this.position;
    while (this.position < text.length) {
      const code = text.charCodeAt(this.position);
      if (code === this.delimiter || code === CLOSE) break;
      if (code === BACKSLASH) {
        escaped = true;
        value += text.slice(chunkStart, this.position);
        chunkStart = ++this.position;
      }
      this.position++;
    }
    value = (value + text.slice(chunkStart, this.position)).trimEnd();
    return !escaped && value.length === 4 && value.toUpperCase() === 'NULL' ? null : value;
  }

  private skipSpaces(): void {
    while (isSpace(this.text.charCodeAt(this.position))) this.position++;
  }
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

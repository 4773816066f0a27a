// Go's time.Parse(time.RFC3339, s) as metav1.Time decodes a timestamp, for
// its error: Go's generic layout parser walks the layout element by element
// and names the first one the value does not fit, with what was left of the
// value when that element began (Go 1.22, what Kubernetes 1.31 is built
// with).

const LAYOUT = '2006-01-02T15:04:05Z07:00';

type Element = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'zone';

/** The layout as Go's nextStdChunk splits it: a literal prefix, then an element. */
const CHUNKS: readonly { readonly prefix: string; readonly std: string; readonly element: Element }[] = [
  { prefix: '', std: '2006', element: 'year' },
  { prefix: '-', std: '01', element: 'month' },
  { prefix: '-', std: '02', element: 'day' },
  { prefix: 'T', std: '15', element: 'hour' },
  { prefix: ':', std: '04', element: 'minute' },
  { prefix: ':', std: '05', element: 'second' },
  { prefix: '', std: 'Z07:00', element: 'zone' },
];

const isDigit = (s: string, i: number): boolean => i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39;

/** getnum: one or two digits (two when fixed). */
function getnum(s: string, fixed: boolean): { n: number; rest: string } | undefined {
  if (!isDigit(s, 0)) return undefined;
  if (!isDigit(s, 1)) return fixed ? undefined : { n: Number(s[0]), rest: s.slice(1) };
  return { n: Number(s.slice(0, 2)), rest: s.slice(2) };
}

/** The ParseError Go returns for `value`, or undefined when it parses. */
export function goTimeParseError(value: string): string | undefined {
  const cannot = (valueElem: string, layoutElem: string) => `parsing time ${quote(value)} as ${quote(LAYOUT)}: cannot parse ${quote(valueElem)} as ${quote(layoutElem)}`;
  const outOfRange = (what: string) => `parsing time ${quote(value)}: ${what} out of range`;
  let rest = value;
  let year = 0;
  let month = 1;
  let day = 1;
  for (const chunk of CHUNKS) {
    if (chunk.prefix !== '') {
      if (!rest.startsWith(chunk.prefix)) return cannot(rest, chunk.prefix);
      rest = rest.slice(chunk.prefix.length);
    }
    const hold = rest;
    let range: string | undefined;
    let ok = true;
    switch (chunk.element) {
      case 'year':
        // Four characters, the first a digit, all of them an integer.
        if (rest.length < 4 || !isDigit(rest, 0) || !/^\d{4}$/.test(rest.slice(0, 4))) ok = false;
        else {
          year = Number(rest.slice(0, 4));
          rest = rest.slice(4);
        }
        break;
      case 'month': {
        const got = getnum(rest, true);
        if (got === undefined) ok = false;
        else {
          ({ n: month, rest } = got);
          if (month <= 0 || month > 12) range = 'month';
        }
        break;
      }
      case 'day': {
        const got = getnum(rest, true);
        if (got === undefined) ok = false;
        else ({ n: day, rest } = got);
        break;
      }
      case 'hour':
      case 'minute':
      case 'second': {
        const got = getnum(rest, chunk.element !== 'hour');
        const n = got?.n ?? 0;
        if (got === undefined) ok = false;
        else rest = got.rest;
        if (n >= (chunk.element === 'hour' ? 24 : 60)) range = chunk.element;
        // A fraction of a second the layout does not name is taken anyway.
        if (ok && range === undefined && chunk.element === 'second' && rest.length >= 2 && (rest[0] === '.' || rest[0] === ',') && isDigit(rest, 1)) {
          let n = 2;
          while (isDigit(rest, n)) n++;
          rest = rest.slice(n);
        }
        break;
      }
      case 'zone':
        if (rest.startsWith('Z')) rest = rest.slice(1);
        else if (rest.length < 6 || rest[3] !== ':') ok = false;
        else {
          const [sign, hh, mm] = [rest[0], rest.slice(1, 3), rest.slice(4, 6)];
          // Go 1.22 takes any two digits for each (1.23 checks their ranges).
          ok = getnum(hh, true) !== undefined && getnum(mm, true) !== undefined && (sign === '+' || sign === '-');
          rest = rest.slice(6);
        }
        break;
    }
    if (range !== undefined) return outOfRange(range);
    if (!ok) return cannot(hold, chunk.std);
  }
  if (rest !== '') return `parsing time ${quote(value)}: extra text: ${quote(rest)}`;
  if (day < 1 || day > daysIn(month, year)) return outOfRange('day');
  return undefined;
}

function daysIn(month: number, year: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** The time package's quote: printable ASCII kept, `"` and `\` escaped, every other byte as \x. */
function quote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x80 || code < 0x20) {
      for (const b of Buffer.from(ch, 'utf8')) out += `\\x${b.toString(16).padStart(2, '0')}`;
    } else {
      if (ch === '"' || ch === '\\') out += '\\';
      out += ch;
    }
  }
  return `${out}"`;
}

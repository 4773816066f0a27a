// A request's Warning headers, as upstream's recorder (apiserver's
// endpoints/filters/warning.go) writes them: each text once, in the order it
// came (the decoder's field-validation warnings, then the kind's), onto the
// response itself, so they go out with whatever answer the request ends in,
// an error too. Past 4096 characters in all, every text is cut to 256 and,
// once over again, later ones are dropped. Texts a header cannot carry
// (control characters) are left out, as NewWarningHeader refuses them.
import type { ServerResponse } from 'node:http';

const TOTAL_RUNES = 4 * 1024;
const ITEM_RUNES = 256;
// unicode.IsControl: C0, DEL and C1.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

class Recorder {
  readonly #recorded = new Set<string>();
  /** Every text recorded, whole, to write again cut when truncation starts. */
  readonly #ordered: string[] = [];
  #headers: string[] = [];
  #written = 0;
  #truncating = false;

  constructor(private readonly res: ServerResponse) {}

  add(text: string): void {
    if (text === '' || (this.#truncating && this.#written >= TOTAL_RUNES) || this.#recorded.has(text)) return;
    this.#recorded.add(text);
    this.#ordered.push(text);
    if (CONTROL.test(text)) return;
    const runes = [...text];
    if (this.#truncating || this.#written + runes.length <= TOTAL_RUNES) {
      this.#append(runes);
    } else {
      this.#truncating = true;
      this.#written = 0;
      this.#headers = [];
      for (const earlier of this.#ordered) if (!CONTROL.test(earlier)) this.#append([...earlier]);
    }
    this.res.setHeader('warning', this.#headers);
  }

  #append(runes: string[]): void {
    const kept = this.#truncating ? runes.slice(0, ITEM_RUNES) : runes;
    this.#written += kept.length;
    // Go writes the UTF-8 bytes; Node sends a header string's characters as bytes (latin1).
    const quoted = `299 - "${kept.join('').replace(/["\\]/g, '\\$&')}"`;
    this.#headers.push(Buffer.from(quoted, 'utf8').toString('latin1'));
  }
}

const recorders = new WeakMap<ServerResponse, Recorder>();

/** Upstream's warning.AddWarning: `text` becomes a Warning header of the answer `res` will carry. */
export function addWarning(res: ServerResponse, text: string): void {
  let recorder = recorders.get(res);
  if (recorder === undefined) {
    recorder = new Recorder(res);
    recorders.set(res, recorder);
  }
  recorder.add(text);
}

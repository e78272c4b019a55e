// JSON text that Sluice itself stored: the loader wrote it from a value JSON.parse accepted,
// so the read path can put it into a response as it is instead of parsing and re-serialising
// it (that round trip was the largest cost of a read; BENCHMARKS.md).

export class StoredJson {
  constructor(readonly text: string) {}

  parse(): unknown {
    return JSON.parse(this.text) as unknown;
  }
}

/** JSON.stringify for response bodies, with StoredJson values written out verbatim. */
export function toJsonText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  if (value instanceof StoredJson) return value.text;
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      out += (i > 0 ? ',' : '') + (v === undefined || typeof v === 'function' || typeof v === 'symbol' ? 'null' : toJsonText(v));
    }
    return out + ']';
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(value);
  // On every read: a for-in loop, not Object.entries (measurably cheaper per response).
  let out = '{';
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    const v: unknown = (value as Record<string, unknown>)[k];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    out += (out.length > 1 ? ',' : '') + JSON.stringify(k) + ':' + toJsonText(v);
  }
  return out + '}';
}

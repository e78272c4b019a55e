// Which framer an object needs, from its first bytes. JSON Lines is the SageMaker default;
// a document is a top-level array, or an object that starts with "schema" or "data" (pandas
// orient="table", as `DataFrame.to_json` writes it). INPUT_FORMAT overrides the guess.
import type { InputFormat } from './chunk-plan.js';

export const FORMAT_SNIFF_BYTES = 256;

export function detectFormat(head: Buffer, configured: 'auto' | InputFormat): InputFormat {
  if (configured !== 'auto') return configured;
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const m = /^\s*(\[|\{\s*"([^"\\]*)")/.exec(text);
  if (!m) return 'jsonl';
  if (m[1] === '[') return 'json';
  return m[2] === 'schema' || m[2] === 'data' ? 'json' : 'jsonl';
}

// INFO replies (and CLUSTER INFO, same format): `name:value` lines under `# Section` headers.

export function parseInfo(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

/** A numeric field; `missing` when the reply has no such field (or it is not a number). */
export function infoNumber(info: Map<string, string>, name: string, missing = 0): number {
  const value = Number(info.get(name));
  return info.has(name) && Number.isFinite(value) ? value : missing;
}

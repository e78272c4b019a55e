// A small EventBridge event-pattern matcher: the subset Sluice's rules use, plus the common
// operators, following https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
// - a pattern object mirrors the event; every key in it must match (AND);
// - a leaf is an array of alternatives (OR); an event array matches if any element does;
// - alternatives: literals (string, number, boolean, null) compared exactly, or one-key
//   operator objects: prefix, suffix, equals-ignore-case, anything-but, exists, numeric.
// An operator it does not know throws, so a test never passes by accident.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Scalar = null | boolean | number | string;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!isObject(pattern)) throw new Error(`an event pattern must be an object, got ${JSON.stringify(pattern)}`);
  return Object.entries(pattern).every(([key, sub]) => {
    const present = isObject(event) && Object.prototype.hasOwnProperty.call(event, key);
    const value = present ? (event as Record<string, unknown>)[key] : undefined;
    if (isObject(sub)) return present && isObject(value) && matchesPattern(sub, value);
    if (!Array.isArray(sub)) throw new Error(`pattern field "${key}" must be an array or an object, got ${JSON.stringify(sub)}`);
    return sub.some((alternative) => matchesAlternative(alternative as Json, present, value));
  });
}

function matchesAlternative(alternative: Json, present: boolean, value: unknown): boolean {
  if (isObject(alternative)) {
    const keys = Object.keys(alternative);
    const op = keys[0];
    if (keys.length !== 1 || op === undefined) throw new Error(`an operator object has exactly one key: ${JSON.stringify(alternative)}`);
    const arg = alternative[op] as Json;
    if (op === 'exists') {
      if (typeof arg !== 'boolean') throw new Error(`exists takes true or false, got ${JSON.stringify(arg)}`);
      return arg === present;
    }
    if (!present) return false;
    return someValue(value, (v) => matchesOperator(op, arg, v));
  }
  if (Array.isArray(alternative)) throw new Error(`nested arrays are not valid in a pattern: ${JSON.stringify(alternative)}`);
  return present && someValue(value, (v) => v === alternative);
}

function matchesOperator(op: string, arg: Json, v: Scalar): boolean {
  switch (op) {
    case 'prefix':
      return typeof v === 'string' && v.startsWith(stringArg(op, arg));
    case 'suffix':
      return typeof v === 'string' && v.endsWith(stringArg(op, arg));
    case 'equals-ignore-case':
      return typeof v === 'string' && v.toLowerCase() === stringArg(op, arg).toLowerCase();
    case 'anything-but':
      return !anythingButExcludes(arg, v);
    case 'numeric':
      return typeof v === 'number' && numericMatches(arg, v);
    default:
      throw new Error(`unsupported pattern operator "${op}"`);
  }
}

function anythingButExcludes(arg: Json, v: Scalar): boolean {
  if (Array.isArray(arg)) return arg.some((excluded) => excluded === v);
  if (isObject(arg)) {
    const [op, inner] = Object.entries(arg)[0] ?? [];
    if (op !== 'prefix' && op !== 'suffix') throw new Error(`unsupported anything-but form ${JSON.stringify(arg)}`);
    return matchesOperator(op, inner as Json, v);
  }
  return arg === v;
}

function numericMatches(arg: Json, v: number): boolean {
  if (!Array.isArray(arg) || arg.length % 2 !== 0) throw new Error(`numeric takes [op, number, ...], got ${JSON.stringify(arg)}`);
  for (let i = 0; i < arg.length; i += 2) {
    const [op, n] = [arg[i], arg[i + 1]];
    if (typeof n !== 'number') throw new Error(`numeric compares with numbers, got ${JSON.stringify(n)}`);
    const ok = op === '=' ? v === n : op === '<' ? v < n : op === '<=' ? v <= n : op === '>' ? v > n : op === '>=' ? v >= n : undefined;
    if (ok === undefined) throw new Error(`unsupported numeric operator ${JSON.stringify(op)}`);
    if (!ok) return false;
  }
  return true;
}

function stringArg(op: string, arg: Json): string {
  if (typeof arg !== 'string') throw new Error(`${op} takes a string, got ${JSON.stringify(arg)}`);
  return arg;
}

/** EventBridge matches an array-valued field if any element matches; objects never match a leaf. */
function someValue(value: unknown, test: (v: Scalar) => boolean): boolean {
  const values = Array.isArray(value) ? value : [value];
  return values.some((v) => (v === null || ['string', 'number', 'boolean'].includes(typeof v)) && test(v as Scalar));
}

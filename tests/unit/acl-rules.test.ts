// Every Redis command the functions send (ioredis method calls, and redis.call in the Lua
// scripts) must be allowed by the ACL rules the local ACL cluster and the template's ElastiCache
// user share: a command missing there works in every test without ACL and fails in production.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { SLUICE_ACL_RULES } from '../../functions/domain/acl-rules.js';

const require = createRequire(import.meta.url);
const { list } = require('@ioredis/commands') as { list: string[] };
const root = fileURLToPath(new URL('../../functions/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [readFileSync(join(dir, e.name), 'utf8')] : []));
}

/** Commands the code sends: `.hget(`-style ioredis calls of real command names, and redis.call('HGET', ...) in Lua. */
function commandsUsed(): Set<string> {
  const names = new Set(list);
  const used = new Set<string>();
  for (const text of sources(root)) {
    for (const m of text.matchAll(/\.([a-z]+)\(/g)) if (names.has(m[1]!) && !NOT_COMMANDS.has(m[1]!)) used.add(m[1]!);
    for (const m of text.matchAll(/redis\.call\('([A-Za-z]+)'/g)) used.add(m[1]!.toLowerCase());
  }
  return used;
}
/** Method names that are also command names but are not Redis calls in this code (Map/Set/Array/string methods, ioredis' own). */
const NOT_COMMANDS = new Set(['digest', 'discard', 'get', 'set', 'keys', 'del', 'exists', 'type', 'sort', 'append', 'copy', 'move', 'monitor', 'time', 'echo', 'quit', 'select', 'sync', 'multi', 'exec', 'watch', 'replicaof', 'hello', 'client', 'cluster', 'config', 'object', 'memory', 'debug', 'lastsave', 'save', 'shutdown', 'function', 'script', 'latency', 'module', 'wait', 'info', 'ping', 'readonly', 'eval', 'evalsha', 'unlink']);

test('every Redis command the functions send is allowed by the shared ACL rules', () => {
  const allowed = new Set(SLUICE_ACL_RULES.filter((r) => r.startsWith('+')).map((r) => r.slice(1).split('|')[0]));
  const used = commandsUsed();
  // A few the scan must find, so it cannot pass by finding nothing.
  for (const c of ['hget', 'hset', 'hincrby', 'hlen', 'hrandfield', 'hexists', 'zadd']) expect(used).toContain(c);
  expect([...used].filter((c) => !allowed.has(c)).sort()).toEqual([]);
  // The commands the scan cannot tell from other methods are allowed explicitly.
  for (const c of ['get', 'set', 'del', 'exists', 'unlink', 'eval', 'wait', 'readonly', 'info', 'ping']) expect(allowed).toContain(c);
});

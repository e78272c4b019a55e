// TLS material and ACL users: what makes a cluster production-shaped (the reliability suite).
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './cli.js';
import { findExecutable } from './executables.js';
import type { AclUser, StartClusterOptions } from './types.js';

/**
 * Writes a throwaway CA and a node certificate for 127.0.0.1 / localhost into `dir` with the
 * openssl CLI (2048-bit RSA, one day). Keys never leave the cluster dir, which stop() removes.
 */
export async function generateTlsMaterial(dir: string): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  mkdirSync(dir, { recursive: true });
  const openssl = findExecutable('openssl');
  const at = (name: string) => join(dir, name);
  const ext = at('node.ext');
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n');
  const days = ['-days', '1'];
  await run(openssl, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', ...days, '-subj', '/CN=sluice-local-test-ca', '-keyout', at('ca.key'), '-out', at('ca.crt')], 30_000);
  await run(openssl, ['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', '/CN=127.0.0.1', '-keyout', at('node.key'), '-out', at('node.csr')], 30_000);
  await run(openssl, ['x509', '-req', '-sha256', ...days, '-in', at('node.csr'), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-extfile', ext, '-out', at('node.crt')], 30_000);
  return { caFile: at('ca.crt'), certFile: at('node.crt'), keyFile: at('node.key') };
}

// The ACL rules of the user Sluice's functions connect as: one definition, shared with the
// template's ElastiCache user (functions/domain/acl-rules.ts).
export { SLUICE_ACL_RULES } from '../../functions/domain/acl-rules.js';

function aclFile(users: AclUser[], admin: AclUser): string {
  const line = (u: AclUser) => `user ${u.username} on >${u.password} ${u.rules.join(' ')}`;
  // `default off`: a connection that does not AUTH can run nothing at all.
  return ['user default off resetkeys resetchannels -@all', line(admin), ...users.map(line)].join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// TLS and ACL set-up shared by every node of one cluster

export interface Secure {
  dir?: string;
  tls?: { caFile: string; certFile: string; keyFile: string };
  aclFile?: string;
  admin?: { username: string; password: string };
  /** redis-cli flags that reach a node of this cluster. */
  connection: string[];
}

export async function prepareSecurity(opts: StartClusterOptions, dir: string): Promise<Secure> {
  const secure: Secure = { connection: [] };
  if (!opts.tls && !opts.users) return secure;
  const secureDir = join(dir, `secure-${randomBytes(4).toString('hex')}`);
  mkdirSync(secureDir, { recursive: true, mode: 0o700 });
  secure.dir = secureDir;
  if (opts.tls) {
    secure.tls = await generateTlsMaterial(secureDir);
    secure.connection.push('--tls', '--cacert', secure.tls.caFile);
  }
  if (opts.users) {
    const admin: AclUser = { username: 'admin', password: randomBytes(24).toString('hex'), rules: ['~*', '&*', '+@all'] };
    if (opts.users.some((u) => u.username === admin.username || u.username === 'default')) throw new Error('ACL users "admin" and "default" are reserved');
    for (const u of opts.users) {
      if (!/^[A-Za-z0-9_-]+$/.test(u.username) || !/^[^\s>]+$/.test(u.password)) throw new Error(`ACL user ${u.username}: bad name or password`);
    }
    secure.aclFile = join(secureDir, 'users.acl');
    writeFileSync(secure.aclFile, aclFile(opts.users, admin), { mode: 0o600 });
    secure.admin = { username: admin.username, password: admin.password };
    secure.connection.push('--user', admin.username, '--pass', admin.password, '--no-auth-warning');
  }
  return secure;
}


// Reaper for local clusters, run as `node reaper.cjs` by processes.ts (plain CommonJS, no
// dependencies, so it starts fast and needs no TypeScript loader). Lines on stdin:
// "pid N" (SIGKILL on EOF if still redis-server or valkey-server), "dir PATH" (remove on EOF), "disarm".
// The kernel closes stdin when the process that spawned us dies, however it dies.
const fs = require('node:fs');
const pids = new Set(); const dirs = new Set(); let armed = true; let buf = '';
const isRedis = (pid) => { try { return /(redis|valkey)-server/.test(fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8')); } catch (e) { return e.code !== 'ENOENT'; } };
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buf += chunk; const lines = buf.split('\n'); buf = lines.pop();
  for (const line of lines) {
    const [cmd, ...rest] = line.split(' '); const arg = rest.join(' ');
    if (cmd === 'pid') pids.add(Number(arg)); else if (cmd === 'dir') dirs.add(arg); else if (cmd === 'disarm') armed = false;
  }
});
process.stdin.on('end', () => {
  if (!armed) return;
  for (const pid of pids) if (isRedis(pid)) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  const until = Date.now() + 2000;
  const sweep = () => {
    if ([...pids].some(isRedis) && Date.now() < until) return setTimeout(sweep, 20);
    for (const dir of dirs) { try { fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 }); } catch {} }
  };
  sweep();
});
process.stdin.on('error', () => {});

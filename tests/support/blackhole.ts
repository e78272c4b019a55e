// A TCP endpoint on loopback that never completes a handshake, standing in for a subnet with no
// route (a blackhole drops the SYN; nothing refuses it): a listening socket that never accepts,
// whose accept queue one connection fills (Linux then drops further SYNs). Node accepts every
// connection itself, so the listener is a small Python process, stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

export interface Blackhole {
  port: number;
  close(): void;
}

const LISTENER = 'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)';

/** Resolves once the handshake completed, or with connected false if it is still pending after `ms`. */
function tryConnect(port: number, ms: number): Promise<{ socket: Socket; connected: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => resolve({ socket, connected: false }), ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({ socket, connected: true });
    });
    socket.on('error', () => undefined);
  });
}

export async function startBlackhole(): Promise<Blackhole> {
  const listener: ChildProcess = spawn('python3', ['-c', LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const fillers: Socket[] = [];
  const close = () => {
    for (const s of fillers) s.destroy();
    if (listener.pid && listener.exitCode === null) process.kill(listener.pid);
  };
  const first = await createInterface({ input: listener.stdout! })[Symbol.asyncIterator]().next();
  const port = Number(first.value);
  for (let i = 0; i < 8; i++) {
    const { socket, connected } = await tryConnect(port, 300);
    fillers.push(socket);
    if (!connected) return { port, close };
  }
  close();
  throw new Error('the listener kept accepting connections: no blackhole');
}

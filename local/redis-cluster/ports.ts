// Picking free loopback ports for a cluster's nodes (each needs its data port P and bus port P+10000).
import { createServer } from 'node:net';

// The cluster bus listens on data port + 10000 unless --cluster-port says otherwise.
const BUS_OFFSET = 10000;
// Data ports 12000..21999 put bus ports at 22000..31999: the two ranges never overlap, and both
// stay below Linux's ephemeral range (32768+), so outgoing connections cannot grab them between
// our bind test and redis' own bind.
const PORT_MIN = 12000;
const PORT_MAX = 21999;

// Ports handed out by this process and not yet released: two clusters started concurrently in
// one process must not pick the same port between bind-test and redis' own bind.
export const reservedPorts = new Set<number>();

function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function pickPorts(host: string, count: number): Promise<number[]> {
  const picked: number[] = [];
  for (let attempt = 0; picked.length < count && attempt < 2_000; attempt++) {
    const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN + 1));
    if (reservedPorts.has(port) || picked.includes(port)) continue;
    if (!(await canBind(host, port)) || !(await canBind(host, port + BUS_OFFSET))) continue;
    picked.push(port);
    reservedPorts.add(port);
  }
  if (picked.length < count) {
    picked.forEach((p) => reservedPorts.delete(p));
    throw new Error(`could not find ${count} free port pairs (P and P+${BUS_OFFSET}) on ${host}`);
  }
  return picked;
}

// A small HTTP/1.1 load generator over raw sockets: N keep-alive connections, each sending
// its next GET as soon as the previous answer is complete, for a bounded time. Raw sockets
// rather than node:http's client, which costs several times the CPU of the servers under test
// and would make the client the bottleneck on a 2-core machine. Bodies are JSON (no raw CR/LF),
// so a chunked body ends at the first "\r\n0\r\n\r\n".
import { connect, type Socket } from 'node:net';
import { quantile, Samples } from './stats.js';

export interface LoadOptions {
  port: number;
  connections: number;
  /** Not counted: connections open, servers and JITs warm up. */
  warmupMs: number;
  durationMs: number;
  /** The path of the i-th request. */
  path: () => string;
}

export interface LoadResult {
  /** Answers inside the measured window. */
  requests: number;
  /** Every answer, warm-up included (to relate server-side counters to requests). */
  answered: number;
  non200: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CHUNKED_END = Buffer.from('\r\n0\r\n\r\n');

/** Parses one response at the head of `buf`; returns its status and total length, or null if incomplete. */
function parseResponse(buf: Buffer): { status: number; length: number } | null {
  const headerEnd = buf.indexOf(HEADER_END);
  if (headerEnd < 0) return null;
  const head = buf.toString('latin1', 0, headerEnd);
  const status = Number(head.slice(9, 12));
  const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const bodyStart = headerEnd + 4;
  if (cl) {
    const length = bodyStart + Number(cl[1]);
    return buf.length >= length ? { status, length } : null;
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const end = buf.indexOf(CHUNKED_END, bodyStart - 2);
    return end < 0 ? null : { status, length: end + CHUNKED_END.length };
  }
  return { status, length: bodyStart }; // no body (e.g. 204)
}

export async function httpLoad(o: LoadOptions): Promise<LoadResult> {
  const latencies = new Samples();
  let non200 = 0;
  let errors = 0;
  const t0 = performance.now();
  const measureFrom = t0 + o.warmupMs;
  const stopAt = measureFrom + o.durationMs;
  let measuredRequests = 0;
  let answered = 0;

  const runConnection = (): Promise<void> =>
    new Promise((resolve) => {
      const socket: Socket = connect({ port: o.port, host: '127.0.0.1', noDelay: true });
      let pending: Buffer = Buffer.alloc(0);
      let sentAt = 0;
      const next = (): void => {
        if (performance.now() >= stopAt) {
          socket.end();
          return;
        }
        sentAt = performance.now();
        socket.write(`GET ${o.path()} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      };
      socket.on('connect', next);
      socket.on('data', (data: Buffer) => {
        pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
        const r = parseResponse(pending);
        if (!r) return;
        pending = pending.subarray(r.length);
        const now = performance.now();
        answered++;
        if (sentAt >= measureFrom && now <= stopAt) {
          latencies.push(now - sentAt);
          measuredRequests++;
          if (r.status !== 200) non200++;
        }
        next();
      });
      socket.on('error', () => {
        errors++;
        resolve();
      });
      socket.on('close', () => resolve());
    });

  await Promise.all(Array.from({ length: o.connections }, runConnection));
  const samples = latencies.values();
  return {
    requests: measuredRequests,
    answered,
    non200,
    errors,
    rps: measuredRequests / (o.durationMs / 1000),
    p50Ms: quantile(samples, 0.5),
    p99Ms: quantile(samples, 0.99),
  };
}

// A VPC subnet with no route to S3 (no gateway endpoint on its route table, no NAT) drops the
// TCP handshake: the connection never opens, nothing is refused. Plan used to wait for its
// 120 s Lambda timeout (not retried) and the execution failed with no hint. Here an endpoint
// that never completes a handshake stands in for that subnet: a listening socket whose accept
// queue is full (Linux then drops further SYNs, as a blackhole route does).
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { S3_CONNECT_TIMEOUT_MS, S3ObjectStore, createS3Client } from '../../functions/adapters/object-store.js';
import { S3UnreachableError } from '../../functions/errors.js';
import { planLoad } from '../../functions/pipeline/plan-load.js';
import { testPipeline } from '../unit/pipeline/fixtures.js';

let listener: ChildProcess;
let port = 0;
const fillers: Socket[] = [];

/** Resolves true once connected, false if the handshake is still pending after `ms`. */
function tryConnect(ms: number): Promise<{ socket: Socket; connected: boolean }> {
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

beforeAll(async () => {
  // listen(0) and never accept(): one connection fills the queue, later handshakes hang.
  listener = spawn('python3', ['-c', 'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await createInterface({ input: listener.stdout! })[Symbol.asyncIterator]().next().then((r) => [r.value as string]);
  port = Number(line);
  for (let i = 0; i < 8; i++) {
    const { socket, connected } = await tryConnect(300);
    fillers.push(socket);
    if (!connected) return; // the queue is full: this endpoint is a blackhole now
  }
  throw new Error('the listener kept accepting connections; cannot build a blackhole');
});

afterAll(() => {
  for (const s of fillers) s.destroy();
  if (listener.pid) process.kill(listener.pid);
});

test('Plan fails within seconds with S3UnreachableError, naming the missing route to S3', async () => {
  const s3 = createS3Client(`http://127.0.0.1:${port}`);
  const { deps } = testPipeline();
  deps.objects = new S3ObjectStore(s3);
  const started = Date.now();
  const failure = await planLoad({ bucket: 'predictions', key: 'job-1/', singleObject: false, origin: 'manual' }, 'test', deps).then(
    () => undefined,
    (err: unknown) => err,
  );
  const seconds = (Date.now() - started) / 1000;
  s3.destroy();
  expect(failure).toBeInstanceOf(S3UnreachableError);
  expect((failure as Error).name).toBe('S3UnreachableError'); // not TransientError: the state machine does not retry it
  expect((failure as Error).message).toMatch(/listing s3:\/\/predictions\/job-1\/: S3 could not be reached from the function's subnets/);
  expect((failure as Error).message).toMatch(/S3 gateway endpoint .*PrivateRouteTableIds.*or a NAT gateway/);
  // Three attempts of S3_CONNECT_TIMEOUT_MS plus the SDK's backoff: seconds, far from Plan's 120 s timeout.
  expect(seconds).toBeGreaterThanOrEqual((3 * S3_CONNECT_TIMEOUT_MS) / 1000 - 0.1);
  expect(seconds).toBeLessThan(15);
});

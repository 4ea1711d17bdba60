// sslmode=prefer's own socket (src/core/db/preferTls.ts) against fake servers: the answer to the TLS
// request decides, on the same socket. (The TLS side, against a real server: test/tls.test.ts.)
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PreferTlsSocket } from '../src/core/db/preferTls.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A server that answers the 8-byte TLS request with `answer`, then echoes what it gets. */
async function fake(answer: Buffer): Promise<{ port: number; requests: Buffer[] }> {
  const requests: Buffer[] = [];
  const server = createServer((socket: Socket) => {
    socket.once('data', (request: Buffer) => {
      requests.push(request);
      socket.write(answer);
      socket.on('data', (d) => socket.write(d));
    });
    socket.on('error', () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, requests };
}

function open(port: number): Promise<{ socket: PreferTlsSocket; error?: Error }> {
  const socket = new PreferTlsSocket({ rejectUnauthorized: false });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve({ socket }));
    socket.once('error', (error: Error) => resolve({ socket, error }));
    socket.connect(port, '127.0.0.1');
  });
}

describe('PreferTlsSocket', () => {
  it("'N': goes on in plain text on the same socket, both ways", async () => {
    const server = await fake(Buffer.from('N'));
    const { socket, error } = await open(server.port);
    expect(error).toBeUndefined();
    expect(socket.encrypted).toBe(false);
    expect(server.requests).toEqual([Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f])]);
    const echoed = new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString())));
    socket.write('startup');
    expect(await echoed).toBe('startup');
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.end();
    socket.destroy();
    await closed;
  });

  it('bytes after the answer, or an answer that is neither S nor N, fail the attempt (libpq refuses them too)', async () => {
    for (const answer of ['NX', 'E', 'SX']) {
      const server = await fake(Buffer.from(answer));
      const { error } = await open(server.port);
      expect(error?.message, answer).toMatch(/error establishing an SSL connection/);
    }
  });

  it('nothing listening: the connect error comes through', async () => {
    const server = await fake(Buffer.from('N'));
    const port = server.port;
    servers.splice(0).forEach((s) => s.close());
    await new Promise((r) => setTimeout(r, 50));
    const { error } = await open(port);
    expect((error as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNREFUSED');
  });
});

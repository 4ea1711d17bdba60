// sslmode=prefer on one socket, as libpq does it: ask the server for TLS (SSLRequest); on 'S' the
// connection goes on encrypted, on 'N' it goes on without TLS on the same socket. node-postgres, given
// `ssl`, ends the socket on 'N' and fails, so a client taking libpq's rules would open a second
// connection to every server without TLS (a local one, most team servers behind a private network):
// one more TCP handshake and server fork for each hook, about a tenth of a prompt hook's time.
//
// This socket does the negotiation itself and hands pg (which is given `ssl: false`) a stream that is
// already plain or already encrypted. A failed TLS handshake or a refused encrypted login still fails the
// attempt, and pg.ts goes on with a new connection without TLS, as libpq does (tls.ts: callsForNextAttempt).
import { Duplex } from 'node:stream';
import * as net from 'node:net';
import * as tls from 'node:tls';

/** The protocol's SSLRequest: length 8, code 80877103. */
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/**
 * A Duplex with the parts of net.Socket that pg's Connection uses (connect, setNoDelay, setKeepAlive,
 * ref, unref). `encrypted` says, once connected, whether the server took TLS.
 */
export class PreferTlsSocket extends Duplex {
  encrypted = false;
  private raw?: net.Socket;
  private inner?: net.Socket;
  private noDelay = true;
  private keepAlive?: [boolean, number | undefined];
  private referenced = true;

  constructor(private readonly tlsOptions: tls.ConnectionOptions) {
    super();
  }

  connect(port: number, host: string): this {
    const raw = net.connect({ port, host });
    this.raw = raw;
    raw.setNoDelay(this.noDelay);
    if (!this.referenced) raw.unref();
    const failed = (err: Error) => this.destroy(err);
    raw.on('error', failed);
    raw.once('connect', () => raw.write(SSL_REQUEST));
    raw.once('data', (answer: Buffer) => {
      raw.pause();
      // Bytes after the one-byte answer were not sent by a server in step (libpq refuses them too:
      // CVE-2021-23214); anything but S or N is an error message from a server that knows no TLS request.
      if (answer.length !== 1 || (answer[0] !== 0x53 && answer[0] !== 0x4e)) {
        failed(new Error('There was an error establishing an SSL connection'));
        return;
      }
      if (answer[0] === 0x4e) {
        this.attach(raw, false);
        return;
      }
      raw.off('error', failed);
      // SNI carries a host name, never an address (RFC 6066); tlsOptions may name it already (hostaddr).
      const secure = tls.connect({ ...(net.isIP(host) === 0 ? { servername: host } : {}), host, ...this.tlsOptions, socket: raw });
      secure.on('error', failed);
      secure.once('secureConnect', () => this.attach(secure, true));
    });
    return this;
  }

  private attach(socket: net.Socket, encrypted: boolean): void {
    this.inner = socket;
    this.encrypted = encrypted;
    if (this.keepAlive) socket.setKeepAlive(...this.keepAlive);
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.resume();
    this.emit('connect');
  }

  setNoDelay(noDelay = true): this {
    this.noDelay = noDelay;
    this.raw?.setNoDelay(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.keepAlive = [enable ?? false, initialDelay];
    this.inner?.setKeepAlive(enable, initialDelay);
    return this;
  }

  ref(): this {
    this.referenced = true;
    this.raw?.ref();
    return this;
  }

  unref(): this {
    this.referenced = false;
    this.raw?.unref();
    return this;
  }

  override _read(): void {
    this.inner?.resume();
  }

  override _write(chunk: Buffer, encoding: NodeJS.BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.inner) {
      callback(new Error('the connection to Postgres is not open yet'));
      return;
    }
    this.inner.write(chunk, encoding, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.inner) this.inner.end(callback);
    else callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner?.destroy();
    this.raw?.destroy();
    callback(error);
  }
}

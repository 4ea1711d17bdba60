/**
 * The `Db` port: the only way the domain talks to a database. One adapter implements it, `pg.ts`
 * (node-postgres), for a configured server and for the per-user local server alike.
 */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** Anything that can run one parameterised statement: a Db, or a transaction handle. */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of several statements with no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** 'postgres': a server the user configured; 'embedded': the per-user local server (localServer.ts). */
export type Backend = 'postgres' | 'embedded';

export type Unlisten = () => Promise<void>;

export interface ListenOptions {
  /** Called once if the listening connection is lost (not when the returned Unlisten is called). */
  onClose?: (err?: Error) => void;
}

export interface Db extends Queryable {
  readonly backend: Backend;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** LISTEN on a channel; resolves to a function that stops listening. */
  listen(channel: string, onNotify: (payload: string) => void, options?: ListenOptions): Promise<Unlisten>;
  close(): Promise<void>;
}

/** A database that could not be reached or opened (as opposed to a bad statement). */
export class DbUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DbUnavailableError';
  }
}

/**
 * Removes a password from anything that might end up in a message. The password of a URL runs to the
 * LAST '@' of the URL: one typed with an unencoded '@' (or '/') is hidden whole, never in part.
 */
export function redact(text: string): string {
  return text
    .replace(/(postgres(?:ql)?:\/\/[^:@/\s]*:)\S*@/gi, '$1***@')
    .replace(/(password\s*=\s*)('[^']*'|\S+)/gi, '$1***');
}

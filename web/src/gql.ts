// The storefront's only link to the backend: the router's one GraphQL
// endpoint on the same origin, over HTTP for queries and mutations and over
// a graphql-transport-ws WebSocket for subscriptions.

const endpoint = '/graphql';
const sessionKey = 'myshop.session';
const cartTokenKey = 'myshop.cartToken';

export interface SessionUser {
  id: string;
  name: string;
  email: string | null;
  roles: string[] | null;
}

export interface Session {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  user: SessionUser;
}

export class GraphQLError extends Error {
  constructor(
    message: string,
    public readonly codes: string[],
  ) {
    super(message);
  }
}

export function session(): Session | null {
  const raw = localStorage.getItem(sessionKey);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as Session;
  } catch {
    localStorage.removeItem(sessionKey);
    return null;
  }
}

export function setSession(s: Session | null): void {
  if (s) localStorage.setItem(sessionKey, JSON.stringify(s));
  else localStorage.removeItem(sessionKey);
}

export function isStaff(s: Session | null): boolean {
  return !!s?.user.roles?.some((r) => r !== 'customer');
}

// A guest's cart is reachable only through its token, so it lives in
// localStorage until the guest signs in and the cart is merged.
export function cartToken(): string | null {
  return localStorage.getItem(cartTokenKey);
}

export function setCartToken(t: string | null): void {
  if (t) localStorage.setItem(cartTokenKey, t);
  else localStorage.removeItem(cartTokenKey);
}

// Email and roles are private fields: the login answer, asked without a
// token, cannot carry them, so they are read with `me` once signed in.
const tokenFields = 'accessToken accessTokenExpiresAt refreshToken user { id name }';

// Access tokens live 15 minutes; refresh a little before expiry so a
// request never races the clock. One refresh at a time: a refresh token is
// single use, and spending it twice ends the session.
let refreshing: Promise<Session | null> | null = null;

async function freshSession(force = false): Promise<Session | null> {
  const s = session();
  if (!s) return null;
  if (!force && Date.parse(s.accessTokenExpiresAt) - Date.now() > 30_000) return s;
  refreshing ??= (async () => {
    try {
      const data = await post<{ refreshToken: { token: Session | null } }>(
        `mutation Refresh($t: String!) { refreshToken(refreshToken: $t) { token { ${tokenFields} } errors { code message } } }`,
        { t: s.refreshToken },
        null,
      );
      const t = data.refreshToken.token;
      // The same user: keep what `me` told us at login.
      const next = t ? { ...t, user: { ...s.user, ...t.user } } : null;
      setSession(next);
      return next;
    } catch (err) {
      setSession(null);
      throw err;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function post<T>(query: string, variables: Record<string, unknown>, token: string | null): Promise<T> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = await res.json();
  } catch {
    throw new GraphQLError(`the server answered ${res.status} without GraphQL`, [`HTTP_${res.status}`]);
  }
  if (body.errors?.length) {
    throw new GraphQLError(
      body.errors.map((e) => e.message).join('; '),
      body.errors.map((e) => e.extensions?.code ?? ''),
    );
  }
  if (!body.data) throw new GraphQLError(`the server answered ${res.status} without data`, [`HTTP_${res.status}`]);
  return body.data;
}

// gql runs a query or mutation as the signed-in user (if any). A rejected
// token (expired early, or its key rotated away) is refreshed once.
export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const s = await freshSession();
  try {
    return await post<T>(query, variables, s?.accessToken ?? null);
  } catch (err) {
    if (s && err instanceof GraphQLError && err.codes.includes('UNAUTHENTICATED')) {
      const again = await freshSession(true);
      return post<T>(query, variables, again?.accessToken ?? null);
    }
    throw err;
  }
}

export async function login(email: string, password: string): Promise<Session> {
  const data = await post<{ login: { token: Session | null; errors: { message: string; code: string }[] } }>(
    `mutation Login($input: LoginInput!) { login(input: $input) { token { ${tokenFields} } errors { code message } } }`,
    { input: { email, password } },
    null,
  );
  if (!data.login.token) {
    throw new GraphQLError(data.login.errors.map((e) => e.message).join('; ') || 'login refused', data.login.errors.map((e) => e.code));
  }
  const t = data.login.token;
  const me = await post<{ me: SessionUser | null }>(`query Me { me { id name email roles } }`, {}, t.accessToken);
  const s: Session = { ...t, user: me.me ?? { ...t.user, email, roles: null } };
  setSession(s);
  return s;
}

export async function logout(): Promise<void> {
  const s = session();
  setSession(null);
  if (s) {
    // Ends the session server side too; a failure leaves only a refresh
    // token nobody holds any more.
    await post(`mutation Logout($t: String!) { logout(refreshToken: $t) { ok } }`, { t: s.refreshToken }, null).catch(() => {});
  }
}

export interface Subscription {
  close(): void;
}

export interface SubscribeHandlers<T> {
  next(data: T): void;
  error(message: string): void;
  // Called with true once the server acknowledges the subscription and with
  // false while it is reconnecting, so the page can say whether it is live.
  live?(on: boolean): void;
}

// subscribe speaks graphql-transport-ws to the router. Delivery is at most
// once and a socket can drop, so it reconnects with backoff and subscribes
// again; the server starts every subscription with the current state, and
// callers ignore versions they have already seen.
export function subscribe<T>(query: string, variables: Record<string, unknown>, h: SubscribeHandlers<T>): Subscription {
  let ws: WebSocket | null = null;
  let closed = false;
  let attempt = 0;
  let timer: number | undefined;

  const connect = async () => {
    let s: Session | null = null;
    try {
      s = await freshSession();
    } catch {
      s = null;
    }
    if (closed) return;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${endpoint}`;
    const sock = new WebSocket(url, 'graphql-transport-ws');
    ws = sock;
    sock.onopen = () => {
      sock.send(JSON.stringify({ type: 'connection_init', payload: s ? { Authorization: `Bearer ${s.accessToken}` } : {} }));
    };
    sock.onmessage = (ev) => {
      let msg: { type: string; id?: string; payload?: unknown };
      try {
        msg = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      switch (msg.type) {
        case 'connection_ack':
          attempt = 0;
          sock.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
          h.live?.(true);
          break;
        case 'ping':
          sock.send(JSON.stringify({ type: 'pong' }));
          break;
        case 'next': {
          const p = msg.payload as { data?: T; errors?: { message: string }[] };
          if (p.errors?.length) h.error(p.errors.map((e) => e.message).join('; '));
          if (p.data) h.next(p.data);
          break;
        }
        case 'error': {
          const errs = msg.payload as { message: string }[];
          h.error(Array.isArray(errs) ? errs.map((e) => e.message).join('; ') : 'subscription refused');
          closed = true; // a refused subscription would be refused again
          sock.close(1000);
          break;
        }
        case 'complete':
          closed = true;
          sock.close(1000);
          break;
      }
    };
    sock.onclose = (ev) => {
      h.live?.(false);
      if (closed) return;
      // 4401/4403: the token is no good; 4400: we sent something wrong.
      // Retrying those the same way cannot help.
      if (ev.code === 4400 || ev.code === 4403) {
        h.error(`subscription closed: ${ev.reason || ev.code}`);
        return;
      }
      const delay = Math.min(10_000, 250 * 2 ** attempt++);
      timer = window.setTimeout(connect, delay);
    };
  };
  void connect();
  return {
    close() {
      closed = true;
      window.clearTimeout(timer);
      if (ws && ws.readyState <= WebSocket.OPEN) {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ id: '1', type: 'complete' }));
        ws.close(1000);
      }
    },
  };
}

// newKey makes an idempotency key; crypto.randomUUID needs a secure
// context, which a shop opened over a LAN address is not.
export function newKey(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

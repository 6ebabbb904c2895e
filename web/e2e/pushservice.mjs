// A local stand-in for a browser's push service, for the browser test.
//
// Headless Chromium cannot subscribe through its real push service
// offline (pushManager.subscribe fails: "Registration failed"), so the
// test gives the page a subscription whose endpoint is this server and
// whose keys it made (subscriptionStub), the storefront registers it with
// registerPushSubscription as it would a real one, and the notifications
// subgraph pushes to it with webpush-go. This server checks what a push
// service checks (HTTPS, the VAPID JWT signed with the shop's key for this
// origin) and decrypts the message as the browser would (RFC 8291,
// aes128gcm); the test then hands the plaintext to the service worker's
// push handler through the DevTools Protocol (ServiceWorker.deliverPushMessage).
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

// startPushService listens on 127.0.0.1 with a self-signed certificate
// (certFile: give it to the sender to trust, SSL_CERT_FILE for Go) and
// calls onPush(plaintext) for each valid push; a bad one gets 400 and is
// kept in rejected.
export async function startPushService(dir, onPush) {
  mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, 'push-key.pem');
  const certFile = path.join(dir, 'push-cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl (for the local push service's certificate): ${r.stderr || r.error}`);
  // The browser side of the subscription: its ECDH key pair and auth secret.
  const ua = crypto.createECDH('prime256v1');
  ua.generateKeys();
  const authSecret = crypto.randomBytes(16);
  const service = { certFile, rejected: [], vapidKey: null, p256dh: b64url(ua.getPublicKey()), auth: b64url(authSecret) };
  const server = https.createServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        checkVAPID(req, service.origin, service.vapidKey);
        if (req.headers['content-encoding'] !== 'aes128gcm') throw new Error(`content-encoding ${req.headers['content-encoding']}`);
        if (!(Number(req.headers.ttl) > 0)) throw new Error(`TTL ${req.headers.ttl}`);
        const text = decrypt(Buffer.concat(chunks), ua, authSecret);
        res.writeHead(201).end();
        onPush(text);
      } catch (err) {
        service.rejected.push(err.message);
        res.writeHead(400).end(err.message);
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  service.origin = `https://127.0.0.1:${server.address().port}`;
  service.endpoint = `${service.origin}/push/shop-e2e`;
  service.close = () => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(resolve);
  });
  return service;
}

// checkVAPID verifies the Authorization header (RFC 8292): an ES256 JWT
// for this origin, unexpired, with a contact, signed with key k, which
// must be the shop's public key (pushPublicKey) once the test knows it.
function checkVAPID(req, origin, shopKey) {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(req.headers.authorization ?? '');
  if (!m) throw new Error(`no VAPID authorization: ${req.headers.authorization}`);
  const [jwt, k] = [m[1], m[2]];
  if (shopKey && k !== shopKey) throw new Error(`signed with ${k}, not the shop's key`);
  const raw = Buffer.from(k, 'base64url');
  const key = crypto.createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: b64url(raw.subarray(1, 33)), y: b64url(raw.subarray(33, 65)) }, format: 'jwk' });
  const [h, p, s] = jwt.split('.');
  if (!crypto.verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))) throw new Error('bad VAPID signature');
  const claims = JSON.parse(Buffer.from(p, 'base64url'));
  if (claims.aud !== origin) throw new Error(`VAPID aud ${claims.aud}, want ${origin}`);
  if (!(claims.exp * 1000 > Date.now())) throw new Error(`VAPID expired: ${claims.exp}`);
  if (!/^(mailto:[^:]+@|https:)/.test(claims.sub ?? '')) throw new Error(`VAPID sub ${claims.sub}`);
}

// decrypt opens one aes128gcm message (RFC 8188) with Web Push's keys
// (RFC 8291): salt(16) rs(4) idlen(1) keyid(the sender's public key) then
// one record, data + 0x02 + zero padding.
function decrypt(body, ua, authSecret) {
  const salt = body.subarray(0, 16);
  const idlen = body[20];
  const asPublic = body.subarray(21, 21 + idlen);
  const record = body.subarray(21 + idlen);
  const ecdhSecret = ua.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ua.getPublicKey(), asPublic]);
  const ikm = Buffer.from(crypto.hkdfSync('sha256', ecdhSecret, authSecret, keyInfo, 32));
  const cek = Buffer.from(crypto.hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(crypto.hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const d = crypto.createDecipheriv('aes-128-gcm', cek, nonce);
  d.setAuthTag(record.subarray(record.length - 16));
  const plain = Buffer.concat([d.update(record.subarray(0, record.length - 16)), d.final()]);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  if (plain[end - 1] !== 2) throw new Error('no last-record delimiter');
  return plain.subarray(0, end - 1).toString('utf8');
}

// subscriptionStub runs in the page before its scripts (addInitScript):
// the browser's push subscription becomes the local push service's, with
// the keys it holds. Everything else (the service worker, the storefront's
// registerPushSubscription, the notifications it shows) is the real code.
export function subscriptionStub({ endpoint, p256dh, auth }) {
  if (!('PushManager' in window)) return;
  const flag = 'shop-e2e-push-subscribed';
  const sub = () => ({
    endpoint,
    expirationTime: null,
    options: { userVisibleOnly: true },
    toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh, auth } }),
    unsubscribe: async () => (localStorage.removeItem(flag), true),
  });
  PushManager.prototype.subscribe = async function () {
    localStorage.setItem(flag, '1');
    return sub();
  };
  PushManager.prototype.getSubscription = async function () {
    return localStorage.getItem(flag) ? sub() : null;
  };
}

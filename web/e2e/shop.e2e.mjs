// Browser end-to-end test of the storefront (make test-e2e).
//
// It starts its own stack (bin/devstack on free ports, with its own
// databases and Redis database so it never meets a running `make run`),
// then drives Debian's Chromium through playwright-core: a shopper signs in,
// searches, adds to the cart, checks out with the test card and lands on the
// order page; staff, in a second browser context, ships the order; the
// shopper's page must show "shipped" within 2 s, without a reload, through
// the orderStatusChanged subscription, and the order's push notification
// (Web Push, VAPID) reaches the storefront's service worker, which shows
// it. A developer then opens the playground
// and finds Query.products in its docs explorer.
//
// Needs: DATABASE_URL and REDIS_URL (tools/services.sh exports them), psql,
// openssl, bin/devstack (make build) and Chromium (CHROMIUM, else `chromium`
// on PATH). Push goes through a local push service (pushservice.mjs: headless
// Chromium reaches no real one offline).
// Screenshots go to web/e2e/artifacts/ (on failure, and the final pages on
// success); SHOP_E2E_DOCS=1 also writes the README's screenshots to docs/.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startPushService, subscriptionStub } from './pushservice.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const artifacts = path.join(here, 'artifacts');
const subgraphs = ['users', 'products', 'orders', 'payments', 'inventory', 'notifications', 'analytics'];
// One Redis database for this test alone: it is flushed before each run.
const redisDB = Number(process.env.SHOP_E2E_REDIS_DB ?? 13);
const dbPrefix = 'myshop_e2e_web_';
const shopper = { email: 'ada.allen.1@example.com', password: 'shopper-demo-2026' };
const liveBudgetMs = 2000;
const started = Date.now();
// The running devstack, killed on any way out (a hang, Ctrl-C) so no stack
// outlives the test.
let devstackChild = null;

function log(msg) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);
}

function fail(msg) {
  throw new Error(msg);
}

function need(name) {
  const v = process.env[name];
  if (!v) fail(`${name} is not set: run through make test-e2e (it sources tools/services.sh)`);
  return v;
}

function chromiumPath() {
  const candidates = [process.env.CHROMIUM, ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'chromium')), '/usr/bin/chromium'];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found) fail("no Chromium: run 'apt-get install chromium' (or set CHROMIUM to its binary)");
  return found;
}

// psql comes with Postgres; the private server tools/services.sh starts has
// it beside initdb.
function psqlPath() {
  const onPath = (process.env.PATH ?? '').split(':').map((d) => path.join(d, 'psql')).find((p) => existsSync(p));
  if (onPath) return onPath;
  const lib = '/usr/lib/postgresql';
  const versions = existsSync(lib) ? readdirSync(lib).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(`${lib}/${v}/bin/psql`)) return `${lib}/${v}/bin/psql`;
  fail("no psql: run 'apt-get install postgresql-client'");
}

function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = '/' + name;
  return u.toString();
}

function dropDatabases(databaseURL) {
  const psql = psqlPath();
  for (const s of subgraphs) {
    const r = spawnSync(psql, [databaseURL, '-v', 'ON_ERROR_STOP=1', '-qc', `DROP DATABASE IF EXISTS ${dbPrefix}${s} WITH (FORCE)`], { encoding: 'utf8' });
    if (r.status !== 0) fail(`drop database ${dbPrefix}${s}: ${r.stderr || r.error}`);
  }
}

// flushRedis empties this test's Redis database (events stream, consumer
// groups, caches) with two RESP commands, so no earlier run's events reach
// this run's consumers.
async function flushRedis(redisURL) {
  const u = new URL(redisURL);
  const cmds = [];
  if (u.password) cmds.push(u.username ? ['AUTH', decodeURIComponent(u.username), decodeURIComponent(u.password)] : ['AUTH', decodeURIComponent(u.password)]);
  cmds.push(['SELECT', String(redisDB)], ['FLUSHDB']);
  const wire = cmds.map((c) => `*${c.length}\r\n` + c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')).join('');
  await new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port || 6379), u.hostname || '127.0.0.1');
    let got = '';
    sock.setTimeout(5000, () => sock.destroy(new Error('redis did not answer in 5s')));
    sock.on('connect', () => sock.write(wire));
    sock.on('data', (d) => {
      got += d;
      if (got.includes('-')) return sock.destroy(new Error(`redis: ${got.trim()}`));
      if ((got.match(/\+OK\r\n/g) ?? []).length >= cmds.length) {
        sock.end();
        resolve();
      }
    });
    sock.on('error', reject);
  });
}

// freePort finds a port that is free now, below the kernel's ephemeral
// range (32768 and up on Linux): tests running beside this one (make test)
// listen on port 0 and connect out from that range, so a port picked there
// could be taken before devstack binds it. startStack retries anyway.
const taken = new Set();
async function freePort() {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (taken.has(port)) continue;
    const free = await new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) {
      taken.add(port);
      return port;
    }
  }
}

// startStack runs bin/devstack and resolves once it prints its URL and the
// admin it created (the databases are new, so it always creates one).
async function startStack(extraEnv) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnce(extraEnv);
    } catch (err) {
      // Only a lost race for a port is worth another go, on new ports.
      if (attempt >= 3 || !/address already in use/.test(err.message)) throw err;
      log(`a port was taken before devstack bound it; again on others (${err.message.split('\n')[0]})`);
    }
  }
}

async function startStackOnce(extraEnv) {
  const databaseURL = need('DATABASE_URL');
  const redisURL = need('REDIS_URL');
  const devstack = path.join(repo, 'bin/devstack');
  if (!existsSync(devstack)) fail('no bin/devstack: run make build');
  dropDatabases(databaseURL);
  await flushRedis(redisURL);
  const redis = new URL(redisURL);
  redis.pathname = '/' + redisDB;
  const env = { ...process.env, ...extraEnv, REDIS_URL: redis.toString(), ROUTER_LISTEN_ADDR: `127.0.0.1:${await freePort()}`, ROUTER_SUPERGRAPH_POLL: '0' };
  for (const s of subgraphs) {
    const S = s.toUpperCase();
    env[`${S}_LISTEN_ADDR`] = `127.0.0.1:${await freePort()}`;
    env[`${S}_DATABASE_URL`] = withDatabase(databaseURL, dbPrefix + s);
  }
  env.USERS_JWKS_URL = `http://${env.USERS_LISTEN_ADDR}/.well-known/jwks.json`;
  env.SHOP_URL = 'http://' + env.ROUTER_LISTEN_ADDR;
  const out = createWriteStream(path.join(artifacts, 'devstack.log'));
  const child = spawn(devstack, [], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  devstackChild = child;
  child.stderr.pipe(out);
  let stdout = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`devstack not up in 90s; see ${path.join(artifacts, 'devstack.log')}`)), 90_000);
    child.stdout.on('data', (d) => {
      out.write(d);
      stdout += d;
      const up = stdout.match(/is up: (http:\/\/\S+)\/graphql/);
      const admin = stdout.match(/first admin created: (\S+) \/ (\S+)/);
      if (up && admin) {
        clearTimeout(timer);
        resolve({ url: up[1], admin: { email: admin[1], password: admin[2] } });
      }
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    child.on('exit', (code) => {
      clearTimeout(timer);
      const why = stderr.match(/^devstack: .*$/m)?.[0] ?? '';
      reject(new Error(`devstack exited with ${code}: ${why}; see ${path.join(artifacts, 'devstack.log')}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  };
  try {
    return { ...(await ready), stop, databaseURL };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function signIn(page, base, who) {
  await page.goto(`${base}/shop/login`);
  await page.getByTestId('email').fill(who.email);
  await page.getByTestId('password').fill(who.password);
  await page.getByTestId('sign-in').click();
  await page.getByTestId('signed-in-as').waitFor();
}

async function main() {
  mkdirSync(artifacts, { recursive: true });
  const executablePath = chromiumPath();
  // Pushes that reach the local push service, decrypted; deliver hands
  // each to the service worker once the page has subscribed.
  const pushed = [];
  let deliver = () => {};
  const pushService = await startPushService(artifacts, (text) => {
    pushed.push(text);
    deliver(text);
  });
  log('starting the stack (fresh databases)');
  // The notifications subgraph trusts the push service's certificate and
  // may reach it on loopback.
  const stack = await startStack({ SSL_CERT_FILE: pushService.certFile, NOTIFICATIONS_WEBHOOKS_ALLOW_PRIVATE: 'true' });
  const base = stack.url;
  log(`stack up at ${base}/shop/`);
  let browser;
  const pages = {};
  try {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      // Root in CI cannot use Chromium's sandbox; /dev/shm is small in containers.
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
    const shopperCtx = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const staffCtx = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    await shopperCtx.grantPermissions(['notifications'], { origin: base });
    await shopperCtx.addInitScript(subscriptionStub, { endpoint: pushService.endpoint, p256dh: pushService.p256dh, auth: pushService.auth });
    const shop = (pages.shopper = await shopperCtx.newPage());
    shop.setDefaultTimeout(20_000);
    const browserErrors = [];
    shop.on('pageerror', (e) => browserErrors.push(String(e)));

    log('shopper signs in');
    await signIn(shop, base, shopper);

    log('turns on order updates on this device (Web Push)');
    pushService.vapidKey = await shop.evaluate(async () => {
      const r = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ pushPublicKey }' }) });
      return (await r.json()).data.pushPublicKey;
    });
    await shop.goto(`${base}/shop/orders`);
    await shop.getByTestId('push-toggle').filter({ hasText: 'Get order updates on this device' }).click();
    await shop.getByTestId('push-note').filter({ hasText: 'Order updates will appear on this device.' }).waitFor();
    const cdp = await shopperCtx.newCDPSession(shop);
    const workers = new Map();
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => e.registrations.forEach((r) => workers.set(r.scopeURL, r.registrationId)));
    await cdp.send('ServiceWorker.enable');
    for (const until = Date.now() + 5000; !workers.has(`${base}/shop/`); await shop.waitForTimeout(50)) {
      if (Date.now() > until) fail(`the service worker is not registered for /shop/: ${[...workers.keys()]}`);
    }
    const delivered = [];
    deliver = (text) => delivered.push(cdp.send('ServiceWorker.deliverPushMessage', { origin: base, registrationId: workers.get(`${base}/shop/`), data: text }));
    pushed.forEach(deliver);

    log('searches');
    await shop.goto(`${base}/shop/`);
    await shop.getByTestId('search').fill('kettle');
    await shop.getByTestId('search').press('Enter');
    await shop.waitForURL(/[?&]q=kettle/);
    await shop.getByTestId('product-link').first().waitFor();
    const count = await shop.getByTestId('result-count').textContent();
    log(`search found ${count}`);

    log('adds to the cart');
    await shop.getByTestId('product-link').first().click();
    await shop.getByTestId('add-to-cart').waitFor();
    const productURL = shop.url();
    await shop.getByTestId('add-to-cart').click();
    await shop.getByTestId('go-to-cart').click();
    await shop.getByTestId('cart-lines').waitFor();

    log('checks out with the test card');
    await shop.getByTestId('checkout').click();
    const form = shop.getByTestId('checkout-form');
    await form.waitFor();
    for (const [name, value] of Object.entries({ firstName: 'Ada', lastName: 'Allen', street1: '1 Analytical Way', city: 'Portland', region: 'OR', postalCode: '97201', countryCode: 'US' })) {
      await form.locator(`input[name="${name}"]`).fill(value);
    }
    await shop.getByTestId('pay-tok_visa').check();
    await shop.getByTestId('place-order').click();
    await shop.waitForURL(/\/shop\/orders\/[^/]+$/, { timeout: 30_000 });
    const status = shop.getByTestId('order-status');
    await status.waitFor();
    const placed = (await status.textContent())?.trim();
    if (placed !== 'confirmed') fail(`order placed with status ${placed}, want confirmed`);
    await shop.getByTestId('live').filter({ hasText: 'live' }).waitFor();
    const number = (await shop.locator('h1').textContent())?.replace(/^Order #/, '').trim();
    log(`order #${number} is confirmed; its page is live`);

    log('staff ships it from the staff page');
    const staff = (pages.staff = await staffCtx.newPage());
    staff.setDefaultTimeout(20_000);
    await signIn(staff, base, stack.admin);
    await staff.goto(`${base}/shop/staff?status=CONFIRMED`);
    const row = staff.locator(`tr[data-number="${number}"]`);
    await row.waitFor();
    const clicked = Date.now();
    await row.getByTestId('to-SHIPPED').click();
    await status.filter({ hasText: /^shipped$/ }).waitFor({ timeout: liveBudgetMs });
    const took = Date.now() - clicked;
    if (took > liveBudgetMs) fail(`the order page showed "shipped" after ${took} ms, want at most ${liveBudgetMs} ms`);
    await row.getByTestId('staff-status').filter({ hasText: 'shipped' }).waitFor();
    log(`the shopper's page showed "shipped" ${took} ms after staff clicked Ship, without a reload`);
    await shop.getByTestId('timeline').locator('li', { hasText: 'shipped' }).waitFor();
    if (browserErrors.length) fail(`the page threw: ${browserErrors.join('; ')}`);

    // The push: notifications encrypts and signs it (webpush-go), the push
    // service checks and decrypts it, the service worker shows it.
    const pushedBody = `Order ${number} is now SHIPPED`;
    const shown = () =>
      shop.evaluate(async () => {
        const reg = await navigator.serviceWorker.getRegistration('/shop/');
        return reg ? (await reg.getNotifications()).map((n) => `${n.title}: ${n.body}`) : [];
      });
    for (const until = Date.now() + 15_000; !(await shown()).includes(`MyShop: ${pushedBody}`); await shop.waitForTimeout(100)) {
      if (pushService.rejected.length) fail(`the push service refused a push: ${pushService.rejected.join('; ')}`);
      if (Date.now() > until) fail(`no "${pushedBody}" notification; pushed ${JSON.stringify(pushed)}, shown ${JSON.stringify(await shown())}`);
    }
    await Promise.all(delivered);
    log(`the service worker showed the push "${pushedBody}"`);
    // Screenshot the live page before moving on to the history.
    await shop.screenshot({ path: path.join(artifacts, 'order-live.png'), fullPage: true });
    if (process.env.SHOP_E2E_DOCS === '1') {
      mkdirSync(path.join(repo, 'docs'), { recursive: true });
      await shop.screenshot({ path: path.join(repo, 'docs/shop-order-live.png') });
      await staff.screenshot({ path: path.join(repo, 'docs/shop-staff.png') });
    }

    log('the order is in the history, shipped');
    await shop.getByTestId('nav-orders').click();
    await shop.getByTestId('orders').locator('tr', { hasText: `#${number}` }).filter({ hasText: 'shipped' }).waitFor();

    log('checks out with a card that needs 3-D Secure and approves it on the bank page');
    await shop.goto(productURL);
    await shop.getByTestId('add-to-cart').click();
    await shop.getByTestId('go-to-cart').click();
    await shop.getByTestId('cart-lines').waitFor();
    await shop.getByTestId('checkout').click();
    await form.waitFor();
    for (const [name, value] of Object.entries({ firstName: 'Ada', lastName: 'Allen', street1: '1 Analytical Way', city: 'Portland', region: 'OR', postalCode: '97201', countryCode: 'US' })) {
      await form.locator(`input[name="${name}"]`).fill(value);
    }
    await shop.getByTestId('pay-tok_3ds').check();
    await shop.getByTestId('place-order').click();
    await shop.waitForURL(/\/shop\/orders\/[^/]+$/, { timeout: 30_000 });
    await status.filter({ hasText: /^pending payment$/ }).waitFor();
    await shop.getByTestId('live').filter({ hasText: 'live' }).waitFor();
    await shop.frameLocator('[data-testid="payment-frame"]').locator('#approve').click();
    // The order confirms on the server from the provider's event and the
    // page learns it over its subscription, without a reload.
    await status.filter({ hasText: /^confirmed$/ }).waitFor({ timeout: 10_000 });
    await shop.getByTestId('payment-status').filter({ hasText: /^authorized$/ }).waitFor();
    if (await shop.getByTestId('payment-frame').count()) fail('the bank page is still shown after the order confirmed');
    log('the 3-D Secure order confirmed once the bank page approved it');

    log('a guest checks out without an account');
    const guestCtx = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const guest = (pages.guest = await guestCtx.newPage());
    guest.setDefaultTimeout(20_000);
    guest.on('pageerror', (e) => browserErrors.push(String(e)));
    await guest.goto(productURL);
    await guest.getByTestId('add-to-cart').click();
    await guest.getByTestId('go-to-cart').click();
    await guest.getByTestId('cart-lines').waitFor();
    await guest.getByTestId('guest-checkout').click();
    const guestForm = guest.getByTestId('checkout-form');
    await guestForm.waitFor();
    await guest.getByTestId('guest-email').fill('guest.shopper@example.com');
    for (const [name, value] of Object.entries({ firstName: 'Grace', lastName: 'Guest', street1: '2 Visitor Rd', city: 'Austin', region: 'TX', postalCode: '73301', countryCode: 'US' })) {
      await guestForm.locator(`input[name="${name}"]`).fill(value);
    }
    await guest.getByTestId('pay-tok_visa').check();
    await guest.getByTestId('place-order').click();
    await guest.waitForURL(/\/shop\/guest-order$/, { timeout: 30_000 });
    await guest.getByTestId('order-status').filter({ hasText: /^confirmed$/ }).waitFor();
    if (browserErrors.length) fail(`the page threw: ${browserErrors.join('; ')}`);
    log('the guest order is confirmed and opens by its token');

    log('a developer opens the playground: its docs explorer lists Query.products');
    const devCtx = await browser.newContext({ viewport: { width: 1300, height: 800 } });
    const dev = (pages.playground = await devCtx.newPage());
    dev.setDefaultTimeout(20_000);
    const devErrors = [];
    dev.on('pageerror', (e) => devErrors.push(String(e)));
    await dev.goto(`${base}/`);
    await dev.getByLabel('Show Documentation Explorer').click();
    const docs = dev.locator('section[aria-label="Documentation Explorer"]');
    // The explorer fills from the playground's own introspection query,
    // which the router's cost limit must never refuse.
    await docs.locator('a.graphiql-doc-explorer-type-name', { hasText: /^Query$/ }).first().click();
    await docs.locator('a.graphiql-doc-explorer-field-name', { hasText: /^products$/ }).first().waitFor();
    if (devErrors.length) fail(`the playground threw: ${devErrors.join('; ')}`);
    await dev.screenshot({ path: path.join(artifacts, 'playground-docs.png') });

    if (process.env.SHOP_E2E_DOCS === '1') {
      await shop.goto(`${base}/shop/?q=kettle`);
      await shop.getByTestId('product-link').first().waitFor();
      await shop.waitForLoadState('networkidle');
      await shop.screenshot({ path: path.join(repo, 'docs/shop-products.png') });
    }
    log(`PASS in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  } catch (err) {
    for (const [who, page] of Object.entries(pages)) {
      const file = path.join(artifacts, `failure-${who}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      console.error(`screenshot: ${file} (${page.url()})`);
    }
    // The stack's own complaints usually say why a page showed an error.
    const stackLog = path.join(artifacts, 'devstack.log');
    const complaints = existsSync(stackLog) ? readFileSync(stackLog, 'utf8').split('\n').filter((l) => /level=(ERROR|WARN)/.test(l) && !/MEDIA_SECRET/.test(l)) : [];
    if (complaints.length) console.error(`devstack.log, last warnings and errors:\n${complaints.slice(-15).join('\n')}`);
    throw err;
  } finally {
    await browser?.close().catch(() => {});
    await stack.stop();
    await pushService.close();
    // The next run drops them anyway; dropping now leaves the server tidy.
    try {
      dropDatabases(stack.databaseURL);
    } catch (err) {
      console.error(`cleanup: ${err.message}`);
    }
  }
}

// The whole test must stay well under three minutes; a hang is a failure.
const guard = setTimeout(() => {
  console.error('shop e2e: over 170 s, giving up');
  devstackChild?.kill('SIGKILL');
  process.exit(1);
}, 170_000);
guard.unref();
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    devstackChild?.kill('SIGTERM');
    process.exit(130);
  });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`shop e2e: FAIL: ${err.message}`);
    process.exit(1);
  },
);

// Order updates on this device: the browser subscribes to Web Push with
// the shop's VAPID key, and the service worker (public/sw.js) shows what
// arrives. Nothing shows where push is unsupported or not configured.
import { gql } from './gql';

const swURL = '/shop/sw.js';

function keyBytes(b64url: string): Uint8Array<ArrayBuffer> {
  const b64 = (b64url + '='.repeat((4 - (b64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function supported(): boolean {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

async function current(): Promise<PushSubscription | null> {
  const reg = await navigator.serviceWorker.getRegistration('/shop/');
  return reg ? reg.pushManager.getSubscription() : null;
}

// pushControls fills el with a button that turns order updates on this
// device on or off.
export async function pushControls(el: HTMLElement): Promise<void> {
  if (!supported()) return;
  let key: string | null;
  try {
    key = (await gql<{ pushPublicKey: string | null }>(`query PushKey { pushPublicKey }`)).pushPublicKey;
  } catch {
    return;
  }
  if (!key) return;
  const render = async (note = ''): Promise<void> => {
    const on = (await current()) !== null;
    el.innerHTML = `<button class="link" data-testid="push-toggle">${on ? 'Stop order updates on this device' : 'Get order updates on this device'}</button>
      <span class="muted" data-testid="push-note">${note}</span>`;
    el.querySelector('button')!.addEventListener('click', () => void (on ? disable() : enable(key!)).then(render, (e) => render(String(e))));
  };
  await render();
}

async function enable(key: string): Promise<string> {
  if ((await Notification.requestPermission()) !== 'granted') return 'Notifications are blocked for this site.';
  const reg = await navigator.serviceWorker.register(swURL, { scope: '/shop/' });
  await navigator.serviceWorker.ready;
  const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  const j = sub.toJSON();
  const d = await gql<{ registerPushSubscription: { errors: { message: string }[] } }>(
    `mutation Push($i: PushSubscriptionInput!) { registerPushSubscription(input: $i) { errors { message } } }`,
    { i: { endpoint: j.endpoint, p256dh: j.keys?.p256dh, auth: j.keys?.auth } },
  );
  if (d.registerPushSubscription.errors.length) {
    await sub.unsubscribe();
    return d.registerPushSubscription.errors[0].message;
  }
  return 'Order updates will appear on this device.';
}

async function disable(): Promise<string> {
  const sub = await current();
  if (!sub) return '';
  await gql(`mutation Unpush($e: String!) { removePushSubscription(endpoint: $e) { errors { message } } }`, { e: sub.endpoint }).catch(() => undefined);
  await sub.unsubscribe();
  return 'Order updates are off on this device.';
}

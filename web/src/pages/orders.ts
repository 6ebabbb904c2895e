// Order history, the live order page, and the staff page that moves orders
// along.
import { gql, isStaff, newKey, session, subscribe } from '../gql';
import { $, errorBox, esc, money, statusLabel, when, type Money } from '../html';
import { pushControls } from '../push';
import { navigate, type Page } from '../router';
import { guestActionKey, guestOrderTokenKey } from './cart';

interface OrderSummary {
  id: string;
  number: string;
  status: string;
  total: Money;
  createdAt: string;
}

export const ordersPage: Page = async (root) => {
  if (!session()) {
    navigate('/login?next=/orders', true);
    return;
  }
  let orders: OrderSummary[];
  try {
    const data = await gql<{ myOrders: { edges: { node: OrderSummary }[] } }>(
      `query Mine { myOrders(first: 50) { edges { node { id number status total { amount currencyCode } createdAt } } } }`,
    );
    orders = data.myOrders.edges.map((e) => e.node);
  } catch (err) {
    root.innerHTML = errorBox(err);
    return;
  }
  root.innerHTML = `
    <h1>Your orders</h1>
    <p id="push"></p>
    ${
      orders.length
        ? `<table class="lines" data-testid="orders"><thead><tr><th>Order</th><th>Placed</th><th>Status</th><th>Total</th></tr></thead><tbody>
        ${orders
          .map(
            (o) => `<tr><td><a href="/shop/orders/${esc(o.id)}" data-link>#${esc(o.number)}</a></td><td>${esc(when(o.createdAt))}</td>
              <td><span class="status s-${esc(o.status)}">${esc(statusLabel(o.status))}</span></td><td>${money(o.total)}</td></tr>`,
          )
          .join('')}</tbody></table>`
        : '<p>No orders yet. <a href="/shop/" data-link>Go shopping →</a></p>'
    }`;
  void pushControls($(root, '#push'));
};

interface OrderEvent {
  from: string | null;
  to: string;
  at: string;
  version: number;
}

interface Order {
  id: string;
  number: string;
  status: string;
  paymentStatus: string;
  fulfillmentStatus: string;
  version: number;
  subtotal: Money;
  shippingPrice: Money;
  total: Money;
  createdAt: string;
  lines: { name: string; sku: string; quantity: number; unitPrice: Money; lineTotal: Money; variant: { product: { id: string; name: string } } }[];
  shippingAddress: { firstName: string; lastName: string; street1: string; city: string; postalCode: string; countryCode: string };
  fulfillments: { carrier: string; trackingNumber: string; createdAt: string }[];
  events: OrderEvent[];
}

const orderFields = `id number status paymentStatus fulfillmentStatus version createdAt
  subtotal { amount currencyCode } shippingPrice { amount currencyCode } total { amount currencyCode }
  lines { name sku quantity unitPrice { amount currencyCode } lineTotal { amount currencyCode } variant { product { id name } } }
  shippingAddress { firstName lastName street1 city postalCode countryCode }
  fulfillments { carrier trackingNumber createdAt }
  events { from to at version }`;

function timeline(events: OrderEvent[]): string {
  return events
    .map((e) => `<li data-version="${e.version}"><span class="status s-${esc(e.to)}">${esc(statusLabel(e.to))}</span> <span class="muted">${esc(when(e.at))}</span></li>`)
    .join('');
}

export const orderPage: Page = async (root, params) => {
  if (!session()) {
    navigate(`/login?next=/orders/${encodeURIComponent(params.id)}`, true);
    return;
  }
  let order: Order | null;
  try {
    order = (await gql<{ order: Order | null }>(`query Order($id: ID!) { order(id: $id) { ${orderFields} } }`, { id: params.id })).order;
  } catch (err) {
    root.innerHTML = errorBox(err);
    return;
  }
  if (!order) {
    root.innerHTML = '<h1>No such order</h1><p><a href="/shop/orders" data-link>Your orders</a></p>';
    return;
  }
  const o = order;
  root.innerHTML = `
    <p><a href="/shop/orders" data-link>← Your orders</a></p>
    <h1>Order #${esc(o.number)}</h1>
    <p class="big">Status: <span class="status s-${esc(o.status)}" data-testid="order-status" data-version="${o.version}">${esc(statusLabel(o.status))}</span>
      <span class="live" data-testid="live" title="Status changes appear here as they happen">connecting…</span></p>
    <p class="muted">Payment: <span data-testid="payment-status">${esc(statusLabel(o.paymentStatus))}</span> ·
      Fulfilment: <span data-testid="fulfillment-status">${esc(statusLabel(o.fulfillmentStatus))}</span> · placed ${esc(when(o.createdAt))}</p>
    <table class="lines"><thead><tr><th>Item</th><th>Price</th><th>Qty</th><th>Total</th></tr></thead><tbody>
      ${o.lines.map((l) => `<tr><td><a href="/shop/p/${esc(l.variant.product.id)}" data-link>${esc(l.variant.product.name)}</a><br><span class="muted">${esc(l.name)} · ${esc(l.sku)}</span></td><td>${money(l.unitPrice)}</td><td>${l.quantity}</td><td>${money(l.lineTotal)}</td></tr>`).join('')}
    </tbody></table>
    <p>Subtotal ${money(o.subtotal)} · shipping ${money(o.shippingPrice)} · <strong>total ${money(o.total)}</strong></p>
    <p class="muted">Ships to ${esc(o.shippingAddress.firstName)} ${esc(o.shippingAddress.lastName)}, ${esc(o.shippingAddress.street1)}, ${esc(o.shippingAddress.postalCode)} ${esc(o.shippingAddress.city)}, ${esc(o.shippingAddress.countryCode)}</p>
    <section data-testid="payment-action" hidden></section>
    <div data-testid="fulfillments">${fulfillments(o)}</div>
    <h2>History</h2>
    <ol class="timeline" data-testid="timeline">${timeline(o.events)}</ol>`;

  // An order waiting for the customer's bank (3-D Secure) shows the bank's
  // page in a frame; the order confirms on the server when the bank
  // answers, and the subscription below brings the news.
  const action = $(root, '[data-testid="payment-action"]');
  const hideAction = () => {
    action.hidden = true;
    action.innerHTML = '';
  };
  const onMessage = (ev: MessageEvent) => {
    if (ev.data?.type === 'payment-action' && !action.hidden) {
      action.querySelector('iframe')?.remove();
      action.querySelector('p')!.textContent = ev.data.outcome === 'approved' ? 'Approved: confirming your order…' : 'Your bank did not approve the payment.';
    }
  };
  window.addEventListener('message', onMessage);
  if (o.status === 'PENDING_PAYMENT') {
    try {
      const d = await gql<{ order: { payment: { nextAction: { type: string; redirectUrl: string | null } | null } | null } | null }>(
        `query Action($id: ID!) { order(id: $id) { payment { nextAction { type redirectUrl } } } }`,
        { id: o.id },
      );
      const next = d.order?.payment?.nextAction;
      if (next?.type === 'REDIRECT' && next.redirectUrl) {
        action.hidden = false;
        action.innerHTML = `<h2>Confirm the payment with your bank</h2><p class="muted">Your order is placed and waits for your bank.</p>
          <iframe src="${esc(next.redirectUrl)}" title="Your bank" data-testid="payment-frame" class="payment-frame"></iframe>`;
      }
    } catch (err) {
      action.hidden = false;
      action.innerHTML = errorBox(err);
    }
  }

  // Keep the highest version seen: delivery is at most once and every
  // (re)subscription starts with the current state, so anything not newer
  // is a repeat.
  let version = o.version;
  const status = $(root, '[data-testid="order-status"]');
  const live = $(root, '[data-testid="live"]');
  const sub = subscribe<{
    orderStatusChanged: {
      status: string;
      previousStatus: string | null;
      version: number;
      occurredAt: string;
      order: { paymentStatus: string; fulfillmentStatus: string; fulfillments: Order['fulfillments'] };
    };
  }>(
    `subscription Live($id: ID!) { orderStatusChanged(orderId: $id) { status previousStatus version occurredAt
      order { paymentStatus fulfillmentStatus fulfillments { carrier trackingNumber createdAt } } } }`,
    { id: o.id },
    {
      next(d) {
        const e = d.orderStatusChanged;
        if (e.version <= version) return;
        version = e.version;
        status.textContent = statusLabel(e.status);
        status.className = `status s-${e.status} changed`;
        status.dataset.version = String(e.version);
        if (e.status !== 'PENDING_PAYMENT') hideAction();
        $(root, '[data-testid="payment-status"]').textContent = statusLabel(e.order.paymentStatus);
        $(root, '[data-testid="fulfillment-status"]').textContent = statusLabel(e.order.fulfillmentStatus);
        $(root, '[data-testid="fulfillments"]').innerHTML = fulfillments({ fulfillments: e.order.fulfillments });
        $(root, '[data-testid="timeline"]').insertAdjacentHTML('beforeend', timeline([{ from: e.previousStatus, to: e.status, at: e.occurredAt, version: e.version }]));
      },
      error(msg) {
        live.textContent = `not live: ${msg}`;
        live.className = 'live off';
      },
      live(on) {
        live.textContent = on ? '● live' : 'reconnecting…';
        live.className = on ? 'live on' : 'live off';
      },
    },
  );
  return () => {
    window.removeEventListener('message', onMessage);
    sub.close();
  };
};

function fulfillments(o: Pick<Order, 'fulfillments'>): string {
  if (!o.fulfillments.length) return '';
  return `<p>Shipped: ${o.fulfillments
    .map((f) => `${esc(f.carrier || 'shipment')}${f.trackingNumber ? ` <code>${esc(f.trackingNumber)}</code>` : ''} (${esc(when(f.createdAt))})`)
    .join(', ')}</p>`;
}

interface StaffOrder {
  id: string;
  number: string;
  status: string;
  allowedTransitions: string[];
  total: Money;
  createdAt: string;
  customer: { name: string } | null;
  guestEmail: string | null;
}

interface ShipOrder {
  lines: { variant: { id: string }; quantity: number }[];
  fulfillments: { lines: { variant: { id: string }; quantity: number }[] }[];
}

const staffStatuses = ['CONFIRMED', 'PROCESSING', 'PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED', 'PENDING_PAYMENT', 'CANCELED', 'EXPIRED'];

export const staffPage: Page = async (root, _params, q) => {
  const s = session();
  if (!s) {
    navigate('/login?next=/staff', true);
    return;
  }
  if (!isStaff(s)) {
    root.innerHTML = '<h1>Staff only</h1><p>Sign in with a staff account (the admin <code>make run</code> prints) to move orders along.</p>';
    return;
  }
  const filter = q.get('status') ?? 'CONFIRMED';
  let orders: StaffOrder[];
  try {
    const data = await gql<{ orders: { edges: { node: StaffOrder }[] } }>(
      // Lines and fulfilments are read per order when it ships: asking for
      // them on the whole list costs more than the router allows.
      `query Staff($where: OrderWhere) { orders(where: $where, first: 25) { edges { node {
        id number status allowedTransitions total { amount currencyCode } createdAt customer { name } guestEmail } } } }`,
      { where: filter ? { status: filter } : null },
    );
    orders = data.orders.edges.map((e) => e.node);
  } catch (err) {
    root.innerHTML = errorBox(err);
    return;
  }
  root.innerHTML = `
    <h1>Orders (staff)</h1>
    <form class="filters"><select name="status" aria-label="Status" data-testid="staff-filter">
      <option value="">Every status</option>
      ${staffStatuses.map((st) => `<option value="${st}"${st === filter ? ' selected' : ''}>${esc(statusLabel(st))}</option>`).join('')}
    </select> <button type="button" class="refresh">Refresh</button></form>
    <p class="note" role="status"></p>
    ${
      orders.length
        ? `<table class="lines" data-testid="staff-orders"><thead><tr><th>Order</th><th>Customer</th><th>Placed</th><th>Total</th><th>Status</th><th>Move to</th></tr></thead><tbody>
      ${orders
        .map(
          (o) => `<tr data-order="${esc(o.id)}" data-number="${esc(o.number)}">
            <td>#${esc(o.number)}</td><td>${esc(o.customer?.name ?? `guest (${o.guestEmail ?? ''})`)}</td><td>${esc(when(o.createdAt))}</td><td>${money(o.total)}</td>
            <td><span class="status s-${esc(o.status)}" data-testid="staff-status">${esc(statusLabel(o.status))}</span></td>
            <td>${o.allowedTransitions
              // Shipping part of an order means choosing lines: not in this demo.
              .filter((t) => t !== 'PARTIALLY_SHIPPED')
              .map((t) => `<button data-to="${esc(t)}" data-testid="to-${esc(t)}">${t === 'SHIPPED' ? 'Ship all' : esc(statusLabel(t))}</button>`)
              .join(' ')}</td>
          </tr>`,
        )
        .join('')}</tbody></table>`
        : '<p>No orders in this status.</p>'
    }`;
  const note = $(root, '.note');
  const sel = $(root, 'select') as HTMLSelectElement;
  sel.addEventListener('change', () => navigate(`/staff?status=${encodeURIComponent(sel.value)}`));
  $(root, '.refresh').addEventListener('click', () => navigate(`/staff?status=${encodeURIComponent(sel.value)}`, true));
  root.querySelectorAll<HTMLButtonElement>('button[data-to]').forEach((b) =>
    b.addEventListener('click', async () => {
      const tr = b.closest('tr')!;
      const o = orders.find((x) => x.id === tr.dataset.order)!;
      b.disabled = true;
      note.textContent = `Moving #${o.number} to ${statusLabel(b.dataset.to!)}…`;
      try {
        const moved = await move(o, b.dataset.to!);
        note.textContent = `#${o.number} is now ${statusLabel(moved)}.`;
        const badge = $(tr, '[data-testid="staff-status"]');
        badge.textContent = statusLabel(moved);
        badge.className = `status s-${moved}`;
        tr.querySelectorAll('button').forEach((x) => ((x as HTMLButtonElement).disabled = true));
      } catch (err) {
        note.innerHTML = errorBox(err);
        b.disabled = false;
      }
    }),
  );
};

// move takes an order to a status. Shipping records a fulfilment of every
// unit not yet shipped (so the customer sees a carrier and tracking number);
// other moves are plain status changes.
async function move(o: StaffOrder, to: string): Promise<string> {
  if (to === 'SHIPPED') {
    const { order } = await gql<{ order: ShipOrder | null }>(
      `query ToShip($id: ID!) { order(id: $id) { lines { variant { id } quantity } fulfillments { lines { variant { id } quantity } } } }`,
      { id: o.id },
    );
    if (!order) throw new Error(`order #${o.number} is gone`);
    const shipped = new Map<string, number>();
    for (const f of order.fulfillments) for (const l of f.lines) shipped.set(l.variant.id, (shipped.get(l.variant.id) ?? 0) + l.quantity);
    const lines = order.lines.map((l) => ({ variantId: l.variant.id, quantity: l.quantity - (shipped.get(l.variant.id) ?? 0) })).filter((l) => l.quantity > 0);
    const data = await gql<{ fulfillOrder: { order: { status: string } | null; errors: { message: string }[] } }>(
      `mutation Ship($input: FulfillOrderInput!) { fulfillOrder(input: $input) { order { status } errors { code message } } }`,
      { input: { orderId: o.id, lines, carrier: 'MyShop Post', trackingNumber: 'MS' + newKey().slice(0, 10).toUpperCase() } },
    );
    if (!data.fulfillOrder.order) throw new Error(data.fulfillOrder.errors.map((e) => e.message).join('; '));
    return data.fulfillOrder.order.status;
  }
  const mutation =
    to === 'CANCELED'
      ? `mutation C($id: ID!) { r: cancelOrder(orderId: $id, reason: "canceled by staff") { order { status } errors { code message } } }`
      : `mutation U($id: ID!, $to: OrderStatus!) { r: updateOrderStatus(orderId: $id, status: $to) { order { status } errors { code message } } }`;
  const data = await gql<{ r: { order: { status: string } | null; errors: { message: string }[] } }>(mutation, to === 'CANCELED' ? { id: o.id } : { id: o.id, to });
  if (!data.r.order) throw new Error(data.r.errors.map((e) => e.message).join('; '));
  return data.r.order.status;
}

interface GuestOrder {
  id: string;
  number: string;
  status: string;
  paymentStatus: string;
  guestEmail: string;
  total: Money;
  lines: { name: string; sku: string; quantity: number; lineTotal: Money }[];
}

// guestOrderPage shows a guest's last order by its token. A guest cannot
// subscribe (live status needs an account), so while the bank is asked
// the page reads the order again every second and a half.
export const guestOrderPage: Page = async (root) => {
  const token = localStorage.getItem(guestOrderTokenKey);
  if (!token) {
    root.innerHTML = '<h1>No guest order</h1><p>Orders placed as a guest open from the device that placed them.</p>';
    return;
  }
  const read = async () =>
    (
      await gql<{ guestOrder: GuestOrder | null }>(
        `query Guest($t: String!) { guestOrder(token: $t) { id number status paymentStatus guestEmail total { amount currencyCode }
          lines { name sku quantity lineTotal { amount currencyCode } } } }`,
        { t: token },
      )
    ).guestOrder;
  let o: GuestOrder | null;
  try {
    o = await read();
  } catch (err) {
    root.innerHTML = errorBox(err);
    return;
  }
  if (!o) {
    root.innerHTML = '<h1>No such order</h1><p>The link to this order has expired.</p>';
    return;
  }
  const action = o.status === 'PENDING_PAYMENT' ? sessionStorage.getItem(guestActionKey) : null;
  root.innerHTML = `
    <h1>Order #${esc(o.number)}</h1>
    <p class="big">Status: <span class="status s-${esc(o.status)}" data-testid="order-status">${esc(statusLabel(o.status))}</span></p>
    <p class="muted">Payment: <span data-testid="payment-status">${esc(statusLabel(o.paymentStatus))}</span> · we will write to ${esc(o.guestEmail)}</p>
    <table class="lines"><thead><tr><th>Item</th><th>Qty</th><th>Total</th></tr></thead><tbody>
      ${o.lines.map((l) => `<tr><td>${esc(l.name)} <span class="muted">${esc(l.sku)}</span></td><td>${l.quantity}</td><td>${money(l.lineTotal)}</td></tr>`).join('')}
    </tbody></table>
    <p><strong>Total ${money(o.total)}</strong></p>
    ${
      action
        ? `<section data-testid="payment-action"><h2>Confirm the payment with your bank</h2>
            <iframe src="${esc(action)}" title="Your bank" data-testid="payment-frame" class="payment-frame"></iframe></section>`
        : ''
    }
    <p class="muted">Create an account with ${esc(o.guestEmail)} and verify it to see this order with your others.</p>`;
  if (o.status !== 'PENDING_PAYMENT') return;
  const status = $(root, '[data-testid="order-status"]');
  const timer = setInterval(async () => {
    try {
      const now = await read();
      if (!now || now.status === 'PENDING_PAYMENT') return;
      clearInterval(timer);
      sessionStorage.removeItem(guestActionKey);
      status.textContent = statusLabel(now.status);
      status.className = `status s-${now.status} changed`;
      $(root, '[data-testid="payment-status"]').textContent = statusLabel(now.paymentStatus);
      root.querySelector('[data-testid="payment-action"]')?.remove();
    } catch {
      // the next tick tries again
    }
  }, 1500);
  return () => clearInterval(timer);
};

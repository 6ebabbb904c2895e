// Cart, login and checkout with the payments test card.
import { cartToken, gql, login, newKey, session, setCartToken } from '../gql';
import { $, errorBox, esc, money, type Money } from '../html';
import { navigate, type Page } from '../router';

interface Address {
  firstName: string;
  lastName: string;
  company: string;
  street1: string;
  street2: string;
  city: string;
  region: string;
  postalCode: string;
  countryCode: string;
  phone: string;
}

interface ShippingMethod {
  code: string;
  name: string;
  price: Money;
  minDays: number;
  maxDays: number;
}

interface Cart {
  id: string;
  lines: { variant: { id: string; name: string; sku: string; product: { id: string; name: string } }; quantity: number; unitPrice: Money | null; lineTotal: Money | null }[];
  subtotal: Money | null;
  total: Money | null;
  shippingAddress: Address | null;
  shippingMethod: ShippingMethod | null;
  availableShippingMethods: ShippingMethod[];
  problems: { code: string; message: string }[];
}

const addressFields = 'firstName lastName company street1 street2 city region postalCode countryCode phone';
const methodFields = 'code name price { amount currencyCode } minDays maxDays';
const cartFields = `id
  lines { variant { id name sku product { id name } } quantity unitPrice { amount currencyCode } lineTotal { amount currencyCode } }
  subtotal { amount currencyCode } total { amount currencyCode }
  shippingAddress { ${addressFields} } shippingMethod { ${methodFields} } availableShippingMethods { ${methodFields} }
  problems { code message }`;

// The guest's token when signed out; signed in, the customer's own cart.
function token(): string | null {
  return session() ? null : cartToken();
}

async function loadCart(): Promise<Cart | null> {
  const data = await gql<{ myCart: Cart | null }>(`query Cart($t: String) { myCart(cartToken: $t) { ${cartFields} } }`, { t: token() });
  return data.myCart;
}

async function cartMutation(name: string, query: string, vars: Record<string, unknown>): Promise<void> {
  const data = await gql<Record<string, { errors: { message: string }[] }>>(query, { ...vars, t: token() });
  const errs = data[name].errors;
  if (errs.length) throw new Error(errs.map((e) => e.message).join('; '));
  document.dispatchEvent(new Event('cart-changed'));
}

function lineRows(cart: Cart, editable: boolean): string {
  return cart.lines
    .map(
      (l) => `<tr data-variant="${esc(l.variant.id)}">
        <td><a href="/shop/p/${esc(l.variant.product.id)}" data-link>${esc(l.variant.product.name)}</a><br><span class="muted">${esc(l.variant.name)} · ${esc(l.variant.sku)}</span></td>
        <td>${money(l.unitPrice)}</td>
        <td>${editable ? `<input type="number" min="1" max="100" value="${l.quantity}" class="qty" aria-label="Quantity">` : l.quantity}</td>
        <td>${money(l.lineTotal)}</td>
        ${editable ? '<td><button class="remove link">Remove</button></td>' : ''}
      </tr>`,
    )
    .join('');
}

export const cartPage: Page = async (root) => {
  let cart: Cart | null;
  try {
    cart = await loadCart();
  } catch (err) {
    root.innerHTML = errorBox(err);
    return;
  }
  if (!cart || cart.lines.length === 0) {
    root.innerHTML = '<h1>Your cart</h1><p data-testid="cart-empty">Your cart is empty. <a href="/shop/" data-link>Find something →</a></p>';
    return;
  }
  const c = cart;
  root.innerHTML = `
    <h1>Your cart</h1>
    <table class="lines" data-testid="cart-lines">
      <thead><tr><th>Item</th><th>Price</th><th>Qty</th><th>Total</th><th></th></tr></thead>
      <tbody>${lineRows(c, true)}</tbody>
    </table>
    <p>Subtotal: <strong data-testid="cart-subtotal">${money(c.subtotal)}</strong></p>
    <p class="note" role="status"></p>
    <p>${
      session()
        ? '<a class="button" href="/shop/checkout" data-link data-testid="checkout">Check out →</a>'
        : `<a class="button" href="/shop/checkout" data-link data-testid="guest-checkout">Check out as a guest →</a>
           <a class="button" href="/shop/login?next=/checkout" data-link data-testid="checkout">Sign in to check out →</a>`
    }</p>`;
  const note = $(root, '.note');
  root.querySelectorAll<HTMLTableRowElement>('tr[data-variant]').forEach((tr) => {
    const variantId = tr.dataset.variant!;
    tr.querySelector<HTMLInputElement>('.qty')?.addEventListener('change', async (ev) => {
      try {
        await cartMutation(
          'updateCartLine',
          `mutation U($input: UpdateCartLineInput!) { updateCartLine(input: $input) { errors { message } } }`,
          { input: { cartId: c.id, variantId, quantity: Number((ev.target as HTMLInputElement).value), cartToken: token() } },
        );
        navigate('/cart', true);
      } catch (err) {
        note.innerHTML = errorBox(err);
      }
    });
    tr.querySelector('.remove')?.addEventListener('click', async () => {
      try {
        await cartMutation('removeCartLine', `mutation R($c: ID!, $v: ID!, $t: String) { removeCartLine(cartId: $c, variantId: $v, cartToken: $t) { errors { message } } }`, {
          c: c.id,
          v: variantId,
        });
        navigate('/cart', true);
      } catch (err) {
        note.innerHTML = errorBox(err);
      }
    });
  });
};

export const loginPage: Page = async (root, _params, q) => {
  const next = q.get('next') ?? '/';
  root.innerHTML = `
    <h1>Sign in</h1>
    <form class="stack" data-testid="login-form">
      <label>Email <input type="email" name="email" autocomplete="username" required data-testid="email"></label>
      <label>Password <input type="password" name="password" autocomplete="current-password" required data-testid="password"></label>
      <button type="submit" data-testid="sign-in">Sign in</button>
      <p class="note" role="status"></p>
    </form>
    <p class="muted">Demo shopper: ada.allen.1@example.com / shopper-demo-2026. Staff: the admin that <code>make run</code> prints the first time.</p>`;
  const form = $(root, 'form') as HTMLFormElement;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const note = $(form, '.note');
    note.textContent = 'Signing in…';
    try {
      await login(String(fd.get('email')), String(fd.get('password')));
      // A guest cart becomes the customer's when they sign in (a guest may
      // also check out as a guest, without an account).
      const t = cartToken();
      if (t) {
        await gql(`mutation M($t: String!) { mergeGuestCart(cartToken: $t) { errors { code message } } }`, { t }).catch(() => {});
        setCartToken(null);
      }
      document.dispatchEvent(new Event('session-changed'));
      navigate(next);
    } catch (err) {
      note.innerHTML = errorBox(err);
    }
  });
};

const testCards = [
  { token: 'tok_visa', label: 'Test card: Visa, tok_visa (approved)' },
  { token: 'tok_mastercard', label: 'Test card: Mastercard, tok_mastercard (approved)' },
  { token: 'tok_3ds', label: 'Test card: tok_3ds (your bank asks you to confirm: 3-D Secure)' },
  { token: 'tok_decline', label: 'Test card: tok_decline (always declined)' },
];

// A guest's order is opened by its token alone: kept here (never in a URL,
// where it would reach history and referrers) for the guest order page.
export const guestOrderTokenKey = 'myshop.guestOrderToken';
export const guestActionKey = 'myshop.guestOrderAction';

export const checkoutPage: Page = async (root) => {
  // Without a session this is a guest's checkout: an email instead of an
  // account, and a fresh test card instead of saved methods.
  const guest = !session();
  let cart: Cart | null;
  let me = null as { defaultShippingAddress: Address | null; addresses: Address[] | null } | null;
  let methods: { id: string; brand: string; last4: string; isDefault: boolean }[] = [];
  try {
    const [c, data] = await Promise.all([
      loadCart(),
      guest
        ? Promise.resolve(null)
        : gql<{ me: typeof me; myPaymentMethods: typeof methods }>(
            `query Checkout { me { defaultShippingAddress { ${addressFields} } addresses { ${addressFields} } } myPaymentMethods { id brand last4 isDefault } }`,
          ),
    ]);
    cart = c;
    if (data) {
      me = data.me;
      methods = data.myPaymentMethods;
    }
  } catch (err) {
    root.innerHTML = errorBox(err);
    return;
  }
  if (!cart || cart.lines.length === 0) {
    root.innerHTML = '<h1>Checkout</h1><p>Your cart is empty. <a href="/shop/" data-link>Find something →</a></p>';
    return;
  }
  const c = cart;
  const a: Partial<Address> = c.shippingAddress ?? me?.defaultShippingAddress ?? me?.addresses?.[0] ?? {};
  const field = (name: keyof Address, label: string, required = true) =>
    `<label>${label} <input name="${name}" value="${esc(a[name] ?? '')}"${required ? ' required' : ''}></label>`;
  // The key is kept while an attempt may still have gone through (pressing
  // twice, a lost answer, SERVICE_UNAVAILABLE): the same key gives the same
  // order. A definite refusal (say, a declined card) gets a new key, or the
  // retry with another card would only get the same refusal back.
  let idempotencyKey = newKey();
  root.innerHTML = `
    <h1>Checkout</h1>
    <table class="lines"><thead><tr><th>Item</th><th>Price</th><th>Qty</th><th>Total</th></tr></thead><tbody>${lineRows(c, false)}</tbody></table>
    <form class="stack" data-testid="checkout-form">
      ${
        guest
          ? `<fieldset><legend>Your email</legend><label>Email <input name="email" type="email" required data-testid="guest-email"></label>
             <p class="muted">We send the order there. <a href="/shop/login?next=/checkout" data-link>Sign in</a> instead to use your account.</p></fieldset>`
          : ''
      }
      <fieldset class="address"><legend>Ship to</legend>
        ${field('firstName', 'First name')} ${field('lastName', 'Last name')} ${field('street1', 'Street')} ${field('street2', 'Street (2)', false)}
        ${field('city', 'City')} ${field('region', 'State / region', false)} ${field('postalCode', 'Postal code')} ${field('countryCode', 'Country (2 letters)')}
        ${field('phone', 'Phone', false)}
      </fieldset>
      <fieldset><legend>Shipping</legend><div data-testid="shipping-methods">${methodChoices(c)}</div></fieldset>
      <fieldset><legend>Payment</legend>
        ${methods
          .map(
            (m, i) =>
              `<label class="choice"><input type="radio" name="payment" value="pm:${esc(m.id)}"${m.isDefault || i === 0 ? ' checked' : ''}> Saved ${esc(m.brand)} ending ${esc(m.last4)}</label>`,
          )
          .join('')}
        ${testCards
          .map(
            (t, i) =>
              `<label class="choice"><input type="radio" name="payment" value="tok:${t.token}"${methods.length === 0 && i === 0 ? ' checked' : ''} data-testid="pay-${t.token}"> ${esc(t.label)}</label>`,
          )
          .join('')}
      </fieldset>
      <p>Total: <strong data-testid="checkout-total">${money(c.total)}</strong> <span class="muted">(shipping included once the address is set)</span></p>
      <button type="submit" data-testid="place-order">Place order</button>
      <p class="note" role="status"></p>
    </form>`;
  const form = $(root, 'form') as HTMLFormElement;
  const note = $(form, '.note');
  // Changing the address changes which methods ship there and what they cost.
  root.querySelector('fieldset.address')!.addEventListener('change', async () => {
    try {
      await saveAddress(c.id, form);
      const fresh = await loadCart();
      if (fresh) {
        $(root, '[data-testid="shipping-methods"]').innerHTML = methodChoices(fresh);
        $(root, '[data-testid="checkout-total"]').textContent = money(fresh.total);
      }
      note.textContent = '';
    } catch (err) {
      note.innerHTML = errorBox(err);
    }
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = $(form, 'button[type="submit"]') as HTMLButtonElement;
    button.disabled = true;
    note.textContent = 'Placing your order…';
    try {
      await saveAddress(c.id, form);
      const method = new FormData(form).get('shipping');
      if (method) {
        await cartMutation('setShippingMethod', `mutation S($c: ID!, $m: ShippingMethodCode!, $t: String) { setShippingMethod(cartId: $c, method: $m, cartToken: $t) { errors { message } } }`, {
          c: c.id,
          m: String(method),
        });
      }
      const pay = String(new FormData(form).get('payment') ?? '');
      const input: Record<string, unknown> = { cartId: c.id, idempotencyKey };
      if (pay.startsWith('pm:')) input.paymentMethodId = pay.slice(3);
      else input.paymentToken = pay.slice(4);
      if (guest) {
        input.email = String(new FormData(form).get('email') ?? '').trim();
        input.cartToken = cartToken();
      }
      const data = await gql<{
        placeOrder: {
          order: { id: string } | null;
          orderToken: string | null;
          nextAction: { type: string; redirectUrl: string | null } | null;
          errors: { code: string; message: string }[];
        };
      }>(
        `mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number status } orderToken nextAction { type redirectUrl } errors { code message } } }`,
        { input },
      );
      if (!data.placeOrder.order) {
        const codes = data.placeOrder.errors.map((e) => e.code);
        if (!codes.some((c) => c === 'SERVICE_UNAVAILABLE' || c === 'CHECKOUT_IN_PROGRESS')) idempotencyKey = newKey();
        throw new Error(data.placeOrder.errors.map((e) => e.message).join('; ') || 'the order was not placed');
      }
      document.dispatchEvent(new Event('cart-changed'));
      if (guest && data.placeOrder.orderToken) {
        localStorage.setItem(guestOrderTokenKey, data.placeOrder.orderToken);
        const next = data.placeOrder.nextAction;
        if (next?.type === 'REDIRECT' && next.redirectUrl) sessionStorage.setItem(guestActionKey, next.redirectUrl);
        else sessionStorage.removeItem(guestActionKey);
        setCartToken(null); // the guest cart is ordered: the next add starts a new one
        document.dispatchEvent(new Event('cart-changed'));
        navigate('/guest-order');
        return;
      }
      navigate(`/orders/${data.placeOrder.order.id}`);
    } catch (err) {
      note.innerHTML = errorBox(err);
      button.disabled = false;
    }
  });
};

function methodChoices(c: Cart): string {
  if (!c.availableShippingMethods.length) return '<p class="muted">Enter the address to see how it can ship.</p>';
  const chosen = c.shippingMethod?.code ?? c.availableShippingMethods[0].code;
  return c.availableShippingMethods
    .map(
      (m) =>
        `<label class="choice"><input type="radio" name="shipping" value="${esc(m.code)}"${m.code === chosen ? ' checked' : ''}> ${esc(m.name)} — ${money(m.price)}</label>`,
    )
    .join('');
}

async function saveAddress(cartId: string, form: HTMLFormElement): Promise<void> {
  const fd = new FormData(form);
  const address: Record<string, string> = {};
  for (const k of ['firstName', 'lastName', 'company', 'street1', 'street2', 'city', 'region', 'postalCode', 'countryCode', 'phone']) {
    const v = fd.get(k);
    if (v !== null) address[k] = String(v).trim();
  }
  if (!address.firstName || !address.street1 || !address.city || !address.postalCode || !address.countryCode) return;
  address.countryCode = address.countryCode.toUpperCase();
  await cartMutation(
    'setShippingAddress',
    `mutation A($c: ID!, $a: ShippingAddressInput!, $t: String) { setShippingAddress(cartId: $c, address: $a, cartToken: $t) { errors { message } } }`,
    { c: cartId, a: address },
  );
}

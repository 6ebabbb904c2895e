// The storefront demo: a small SPA on the router's one GraphQL endpoint.
import './style.css';
import { gql, isStaff, logout, session } from './gql';
import { esc } from './html';
import { cartPage, checkoutPage, loginPage } from './pages/cart';
import { productList, productPage } from './pages/catalog';
import { guestOrderPage, orderPage, ordersPage, staffPage } from './pages/orders';
import { navigate, route, start } from './router';

route('/', productList);
route('/p/:id', productPage);
route('/cart', cartPage);
route('/login', loginPage);
route('/checkout', checkoutPage);
route('/orders', ordersPage);
route('/orders/:id', orderPage);
route('/guest-order', guestOrderPage);
route('/staff', staffPage);

function nav(): void {
  const s = session();
  document.getElementById('nav')!.innerHTML = `
    <a href="/shop/" data-link class="brand">MyShop</a>
    <a href="/shop/cart" data-link data-testid="nav-cart">Cart <span id="cart-count"></span></a>
    ${s ? '<a href="/shop/orders" data-link data-testid="nav-orders">Orders</a>' : ''}
    ${isStaff(s) ? '<a href="/shop/staff" data-link data-testid="nav-staff">Staff</a>' : ''}
    <span class="spacer"></span>
    ${
      s
        ? `<span class="muted" data-testid="signed-in-as">${esc(s.user.name)}</span> <button class="link" id="logout">Sign out</button>`
        : '<a href="/shop/login" data-link data-testid="nav-login">Sign in</a>'
    }`;
  document.getElementById('logout')?.addEventListener('click', async () => {
    await logout();
    nav();
    navigate('/');
  });
  void cartCount();
}

// The badge is a nicety: a failure to count leaves it empty.
async function cartCount(): Promise<void> {
  const s = session();
  const t = s ? null : localStorage.getItem('myshop.cartToken');
  if (!s && !t) return;
  try {
    const d = await gql<{ myCart: { lines: { quantity: number }[] } | null }>(`query Count($t: String) { myCart(cartToken: $t) { lines { quantity } } }`, { t });
    const n = d.myCart?.lines.reduce((a, l) => a + l.quantity, 0) ?? 0;
    const el = document.getElementById('cart-count');
    if (el) el.textContent = n ? `(${n})` : '';
  } catch {
    /* see above */
  }
}

document.addEventListener('session-changed', nav);
document.addEventListener('cart-changed', () => void cartCount());
nav();
start();

// Product list (search, filters, sort) and product page (variants, stock,
// reviews, add to cart).
import { cartToken, gql, session, setCartToken } from '../gql';
import { $, errorBox, esc, money, stars, type Money } from '../html';
import { navigate, type Page } from '../router';

interface Thumb {
  size: number;
  url: string;
}
interface Image {
  url: string;
  alt: string;
  thumbnails: Thumb[];
}
interface Facet {
  id: string;
  name: string;
  count: number;
}
interface ListProduct {
  id: string;
  name: string;
  price: Money;
  rating: { average: number; count: number };
  images: Image[];
}

const listQuery = `query Products($search: String, $where: ProductWhere, $sortBy: ProductSort, $first: Int, $after: String) {
  products(search: $search, where: $where, sortBy: $sortBy, first: $first, after: $after) {
    totalCount
    facets { categories { id name count } brands { id name count } }
    edges { node { id name price { amount currencyCode } rating { average count } images { url alt thumbnails { size url } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const sorts: Record<string, { field: string; direction?: string } | null> = {
  '': null,
  relevance: { field: 'RELEVANCE' },
  'price-asc': { field: 'PRICE', direction: 'ASC' },
  'price-desc': { field: 'PRICE', direction: 'DESC' },
  name: { field: 'NAME', direction: 'ASC' },
  rating: { field: 'RATING', direction: 'DESC' },
  newest: { field: 'CREATED_AT', direction: 'DESC' },
};

function thumb(images: Image[], size: number): Image & { src: string } | null {
  const img = images[0];
  if (!img) return null;
  const t = img.thumbnails.find((x) => x.size >= size) ?? img.thumbnails[img.thumbnails.length - 1];
  return { ...img, src: t?.url ?? img.url };
}

function options(facets: Facet[], selected: string, any: string): string {
  return (
    `<option value="">${esc(any)}</option>` +
    facets.map((f) => `<option value="${esc(f.id)}"${f.id === selected ? ' selected' : ''}>${esc(f.name)} (${f.count})</option>`).join('')
  );
}

export const productList: Page = async (root, _params, q) => {
  const search = q.get('q') ?? '';
  const where: Record<string, unknown> = {};
  if (q.get('category')) where.categoryIds = [q.get('category')];
  if (q.get('brand')) where.brandIds = [q.get('brand')];
  if (q.get('min') || q.get('max')) where.price = { gte: q.get('min') || null, lte: q.get('max') || null };
  if (q.get('rating')) where.rating = { gte: Number(q.get('rating')) };
  const sort = sorts[q.get('sort') ?? ''] ?? null;
  let data: {
    products: { totalCount: number; facets: { categories: Facet[]; brands: Facet[] }; edges: { node: ListProduct }[]; pageInfo: { hasNextPage: boolean; endCursor: string } };
  };
  try {
    data = await gql(listQuery, { search: search || null, where, sortBy: sort, first: 24, after: q.get('after') || null });
  } catch (err) {
    root.innerHTML = errorBox(err);
    return;
  }
  const p = data.products;
  const next = new URLSearchParams(q);
  next.set('after', p.pageInfo.endCursor ?? '');
  root.innerHTML = `
    <form class="filters" data-testid="filters">
      <input type="search" name="q" placeholder="Search products" value="${esc(search)}" data-testid="search" aria-label="Search">
      <select name="category" aria-label="Category">${options(p.facets.categories, q.get('category') ?? '', 'Any category')}</select>
      <select name="brand" aria-label="Brand">${options(p.facets.brands, q.get('brand') ?? '', 'Any brand')}</select>
      <input name="min" inputmode="decimal" placeholder="Min $" value="${esc(q.get('min'))}" size="5" aria-label="Minimum price">
      <input name="max" inputmode="decimal" placeholder="Max $" value="${esc(q.get('max'))}" size="5" aria-label="Maximum price">
      <select name="rating" aria-label="Rating">
        <option value="">Any rating</option>
        ${[4, 3, 2].map((r) => `<option value="${r}"${q.get('rating') === String(r) ? ' selected' : ''}>${r}★ and up</option>`).join('')}
      </select>
      <select name="sort" aria-label="Sort">
        ${Object.keys(sorts).map((k) => `<option value="${k}"${(q.get('sort') ?? '') === k ? ' selected' : ''}>${k ? 'Sort: ' + k.replace('-', ' ') : 'Sort: default'}</option>`).join('')}
      </select>
      <button type="submit">Search</button>
    </form>
    <p class="muted" data-testid="result-count">${p.totalCount} product${p.totalCount === 1 ? '' : 's'}</p>
    <ul class="grid" data-testid="products">
      ${p.edges
        .map(({ node }) => {
          const img = thumb(node.images, 200);
          return `<li class="card">
            <a href="/shop/p/${esc(node.id)}" data-link data-testid="product-link">
              ${img ? `<img src="${esc(img.src)}" alt="${esc(img.alt)}" loading="lazy" width="200" height="200">` : '<div class="noimg"></div>'}
              <strong>${esc(node.name)}</strong>
            </a>
            <span>${money(node.price)}</span>
            <span class="muted">${node.rating.count ? `${stars(node.rating.average)} (${node.rating.count})` : 'no reviews yet'}</span>
          </li>`;
        })
        .join('')}
    </ul>
    ${p.pageInfo.hasNextPage ? `<p><a href="/shop/?${esc(next.toString())}" data-link>More products →</a></p>` : ''}`;
  const form = $(root, 'form') as HTMLFormElement;
  form.addEventListener('change', (ev) => {
    // Filters apply at once; typing in the search box waits for Enter.
    if ((ev.target as HTMLElement).getAttribute('type') !== 'search') form.requestSubmit();
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (String(v).trim()) params.set(k, String(v).trim());
    navigate('/?' + params.toString());
  });
};

interface Variant {
  id: string;
  name: string;
  sku: string;
  price: Money | null;
  availableQuantity: number;
  options: { name: string; value: string }[];
}

const productQuery = `query Product($id: ID!) {
  product(id: $id) {
    id name description price { amount currencyCode }
    category { name } brand { name }
    rating { average count }
    images { url alt thumbnails { size url } }
    variants { id name sku price { amount currencyCode } availableQuantity options { name value } }
    reviews(first: 20) { edges { node { id rating title body createdAt author { name } } } }
  }
}`;

export const productPage: Page = async (root, params) => {
  let data: {
    product: {
      id: string;
      name: string;
      description: string;
      price: Money;
      category: { name: string } | null;
      brand: { name: string } | null;
      rating: { average: number; count: number };
      images: Image[];
      variants: Variant[];
      reviews: { edges: { node: { id: string; rating: number; title: string; body: string; createdAt: string; author: { name: string } } }[] };
    } | null;
  };
  try {
    data = await gql(productQuery, { id: params.id });
  } catch (err) {
    root.innerHTML = errorBox(err);
    return;
  }
  const p = data.product;
  if (!p) {
    root.innerHTML = '<h1>No such product</h1><p><a href="/shop/" data-link>Back to the shop</a></p>';
    return;
  }
  const img = thumb(p.images, 600);
  const sellable = p.variants.filter((v) => v.price);
  root.innerHTML = `
    <p><a href="/shop/" data-link>← All products</a></p>
    <article class="product">
      ${img ? `<img src="${esc(img.src)}" alt="${esc(img.alt)}" width="300" height="300">` : ''}
      <div>
        <h1 data-testid="product-name">${esc(p.name)}</h1>
        <p class="muted">${esc(p.brand?.name ?? '')} · ${esc(p.category?.name ?? '')}</p>
        <p>${p.rating.count ? `${stars(p.rating.average)} ${p.rating.average.toFixed(1)} from ${p.rating.count} review${p.rating.count === 1 ? '' : 's'}` : 'No reviews yet'}</p>
        <p>${esc(p.description)}</p>
        ${
          sellable.length
            ? `<form class="buy" data-testid="buy">
          <select name="variant" aria-label="Variant" data-testid="variant">
            ${sellable
              .map(
                (v) =>
                  `<option value="${esc(v.id)}"${v.availableQuantity > 0 ? '' : ' disabled'}>${esc(v.name)} — ${money(v.price)} — ${
                    v.availableQuantity > 0 ? `${v.availableQuantity} in stock` : 'out of stock'
                  }</option>`,
              )
              .join('')}
          </select>
          <input type="number" name="quantity" value="1" min="1" max="100" aria-label="Quantity">
          <button type="submit" data-testid="add-to-cart">Add to cart</button>
          <span class="note" data-testid="buy-note" role="status"></span>
        </form>`
            : '<p>Not sold in this channel.</p>'
        }
      </div>
    </article>
    <section>
      <h2>Reviews</h2>
      <ul class="reviews" data-testid="reviews">
        ${p.reviews.edges
          .map(
            ({ node: r }) => `<li><strong>${stars(r.rating)} ${esc(r.title)}</strong>
              <p>${esc(r.body)}</p><p class="muted">${esc(r.author.name)} · ${new Date(r.createdAt).toLocaleDateString()}</p></li>`,
          )
          .join('') || '<li class="muted">No reviews yet.</li>'}
      </ul>
    </section>`;
  const form = root.querySelector<HTMLFormElement>('form.buy');
  if (!form) return;
  // Pick the first variant in stock rather than a disabled one.
  const sel = $(form, 'select') as HTMLSelectElement;
  const firstInStock = sellable.find((v) => v.availableQuantity > 0);
  if (firstInStock) sel.value = firstInStock.id;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const note = $(form, '.note');
    const fd = new FormData(form);
    note.textContent = 'Adding…';
    try {
      await addToCart(String(fd.get('variant')), Number(fd.get('quantity')));
      note.innerHTML = 'Added. <a href="/shop/cart" data-link data-testid="go-to-cart">View cart →</a>';
      document.dispatchEvent(new Event('cart-changed'));
    } catch (err) {
      note.innerHTML = errorBox(err);
    }
  });
};

async function addToCart(variantId: string, quantity: number): Promise<void> {
  // Signed in: the customer's own cart. A guest: the cart of the stored
  // token, or a new guest cart whose token comes back.
  const token = session() ? null : cartToken();
  const data = await gql<{ addCartLine: { cartToken: string | null; errors: { message: string }[] } }>(
    `mutation Add($input: AddCartLineInput!) { addCartLine(input: $input) { cart { id } cartToken errors { code message } } }`,
    { input: { variantId, quantity, cartToken: token } },
  );
  if (data.addCartLine.errors.length) throw new Error(data.addCartLine.errors.map((e) => e.message).join('; '));
  if (!session() && data.addCartLine.cartToken) setCartToken(data.addCartLine.cartToken);
}

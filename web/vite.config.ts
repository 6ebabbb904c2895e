import { defineConfig } from 'vite';

// The SPA is served by package shop under /shop/; asset names carry a
// content hash so they can be cached for good. Dev server (npm exec vite)
// proxies /graphql to a running `make run`.
export default defineConfig({
  base: '/shop/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, assetsInlineLimit: 0 },
  server: { proxy: { '/graphql': { target: 'http://127.0.0.1:4000', ws: true } } },
});

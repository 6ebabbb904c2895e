// Regenerates dist/: the GraphiQL, React and ReactDOM browser builds from
// node_modules plus our small bootstrap, gzipped (the router serves them
// compressed, or inflates them for the rare client without gzip).
// Usage: npm ci && npm run build
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const assets = {
  'react.production.min.js': 'node_modules/react/umd/react.production.min.js',
  'react-dom.production.min.js': 'node_modules/react-dom/umd/react-dom.production.min.js',
  'graphiql.min.js': 'node_modules/graphiql/graphiql.min.js',
  'graphiql.min.css': 'node_modules/graphiql/graphiql.min.css',
  'playground.js': 'src/playground.js',
  'playground.css': 'src/playground.css',
};

// Hosts a playground must never load from: the page has to work offline.
const external = /(?:src|href)\s*=\s*["']https?:|@import\s+(?:url\()?["']?https?:|url\(\s*["']?https?:|unpkg\.com\/|cdn\.jsdelivr\.net|cdnjs\.cloudflare|fonts\.googleapis|fonts\.gstatic|esm\.sh\//;

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
const manifest = {};
for (const [name, from] of Object.entries(assets)) {
  // Source maps are not shipped; drop the reference so devtools do not 404.
  const text = readFileSync(from, 'utf8').replace(/\n?\/[/*]# sourceMappingURL=\S+(?: \*\/)?\s*$/, '\n');
  const hit = text.match(external);
  if (hit) {
    throw new Error(`${from} loads from another host: ${hit[0]}`);
  }
  const data = Buffer.from(text, 'utf8');
  writeFileSync(`dist/${name}.gz`, gzipSync(data, { level: 9 }));
  manifest[name] = { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
}
const pkg = (p) => JSON.parse(readFileSync(`node_modules/${p}/package.json`, 'utf8')).version;
manifest['versions'] = { graphiql: pkg('graphiql'), react: pkg('react'), 'react-dom': pkg('react-dom') };
writeFileSync('dist/manifest.json', JSON.stringify(manifest, null, 2) + '\n');
console.log('wrote dist/', Object.keys(assets).join(', '));

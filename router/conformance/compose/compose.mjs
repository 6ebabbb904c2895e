// Composes every conformance scenario (../testdata/NAME.txtar: sections
// "-- x.graphql --" are subgraph SDLs) with Hive's composition and writes
// ../testdata/NAME.supergraph.graphql, the supergraph the router tests use.
// Usage (from router/conformance/compose): npm ci && npm run compose
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { composeServices, compositionHasErrors } from '@theguild/federation-composition';

const dir = new URL('../testdata/', import.meta.url).pathname;
let failed = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.txtar')).sort()) {
  const name = file.replace(/\.txtar$/, '');
  const services = [];
  let current = null;
  for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
    const m = line.trim().match(/^-- (.+) --$/);
    if (m) {
      current = m[1].endsWith('.graphql') ? { name: m[1].replace(/\.graphql$/, ''), sdl: '' } : null;
      if (current) services.push(current);
      continue;
    }
    if (current) current.sdl += line + '\n';
  }
  const result = composeServices(
    services.map((s) => ({ name: s.name, typeDefs: parse(s.sdl), url: `http://${s.name}.invalid/graphql` })),
  );
  if (compositionHasErrors(result)) {
    failed++;
    console.error(`${name}: composition failed:\n  ${result.errors.map((e) => e.message).join('\n  ')}`);
    continue;
  }
  writeFileSync(join(dir, `${name}.supergraph.graphql`), result.supergraphSdl.trimEnd() + '\n');
  console.log(`${name}: ${services.length} subgraphs`);
}
process.exit(failed ? 1 : 0);

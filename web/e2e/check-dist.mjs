// Fails when the checked-in dist/ is not what the sources build to, so the
// browser test (which runs the embedded dist) never passes on a stale build.
// Run by make test-e2e; fix with make web.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function files(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p, base) : [path.relative(base, p)];
  });
}

const out = mkdtempSync(path.join(tmpdir(), 'shop-dist-'));
try {
  execFileSync('npx', ['vite', 'build', '--logLevel', 'warn', '--outDir', out, '--emptyOutDir'], { stdio: 'inherit' });
  const want = files(out).sort();
  const have = files('dist').sort();
  const stale =
    want.join('\n') !== have.join('\n') || want.some((f) => !readFileSync(path.join(out, f)).equals(readFileSync(path.join('dist', f))));
  if (stale) {
    console.error(`web/dist is stale: the sources build to\n  ${want.join('\n  ')}\nbut dist has\n  ${have.join('\n  ')}\nrun: make web`);
    process.exit(1);
  }
  console.log('web/dist matches the sources');
} finally {
  rmSync(out, { recursive: true, force: true });
}

// Runs every test file under test/ with Node's own test runner (tsx loads the TypeScript).
// Node 20's --test takes no globs, so the files are listed here; pass paths to run a subset.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = process.argv.length > 2 ? process.argv.slice(2) : find('test').sort();
const result = spawnSync(
  process.execPath,
  // --test-force-exit: a file whose tests are done exits even if something it started still runs (a timed-out
  // test's loop): a failure, never a hang of the whole suite.
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-force-exit', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);

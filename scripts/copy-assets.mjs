// tsc compiles only TypeScript; this copies the SQL migrations (and other non-TS assets) beside the compiled code.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function copySql(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) copySql(path);
    else if (name.endsWith('.sql')) {
      const target = join('dist', path);
      cpSync(path, target, { recursive: false });
    }
  }
}
copySql('src');

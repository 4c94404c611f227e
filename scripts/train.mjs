// `npm run train -- [args]`: the documented, seeded training recipe (python -m fwd2bot.train) in the
// project virtualenv, installed on first use. Resumable: rerun the same command to continue.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensurePython, venvPython, root } from './ensure.mjs';

ensurePython();
const args = process.argv.slice(2);
const r = spawnSync(venvPython, ['-m', 'fwd2bot.train', ...(args.length ? args : ['--run', 'runs/default', '--stage', 'all'])],
  { stdio: 'inherit', cwd: root, env: { ...process.env, PYTHONPATH: join(root, 'python'), OMP_WAIT_POLICY: 'PASSIVE' } });
process.exit(r.status ?? 1);

// `npm start`: install what is missing, then serve the app (and the default model in public/models).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureNpm, root } from './ensure.mjs';

ensureNpm();
const port = process.env.PORT ?? '5173';
const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
const child = spawn(process.execPath, [vite, '--host', process.env.HOST ?? '127.0.0.1', '--port', port, '--strictPort'],
  { stdio: 'inherit', cwd: root });
child.on('exit', (code) => process.exit(code ?? 0));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));

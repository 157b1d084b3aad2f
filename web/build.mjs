// Builds the browser assets the host embeds: node build.mjs <output directory>
//   app.css     Tailwind, from the class names in the host's pages, the SDK and the plugins (tailwind.config.js)
//   alpine.js   Alpine.js, its CSP build (no eval: pages run under a strict Content-Security-Policy)
//   htmx.js     htmx, for partial page updates
//   calyx.js    our own components (src/calyx.js)
//   icons.json  Heroicons' 24px outline set, name → SVG, for the sidebar and menus
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs <output directory>');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const modules = join(here, 'node_modules');

execFileSync(process.execPath, [join(modules, 'tailwindcss/lib/cli.js'), '-c', join(here, 'tailwind.config.js'),
  '-i', join(here, 'src/app.css'), '-o', join(out, 'app.css'), '--minify'], { cwd: here, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, BROWSERSLIST_IGNORE_OLD_DATA: '1' } });
copyFileSync(join(modules, '@alpinejs/csp/dist/cdn.min.js'), join(out, 'alpine.js'));
copyFileSync(join(modules, 'htmx.org/dist/htmx.min.js'), join(out, 'htmx.js'));
copyFileSync(join(here, 'src/calyx.js'), join(out, 'calyx.js'));

const iconDir = join(modules, 'heroicons/24/outline');
const icons = {};
for (const file of readdirSync(iconDir).filter((name) => name.endsWith('.svg')).sort()) {
  icons[file.slice(0, -4)] = readFileSync(join(iconDir, file), 'utf8').trim();
}
writeFileSync(join(out, 'icons.json'), JSON.stringify(icons));

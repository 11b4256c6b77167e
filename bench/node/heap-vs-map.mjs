#!/usr/bin/env node
/**
 * Heap backend ÷ raw Map per phase of the keyed-state benchmark, in Node:
 *
 *   node bench/node/heap-vs-map.mjs [--rounds 5] [--runs 3] [--baseline DIR] [--gc] [--browser] [--median]
 *
 * Bundles heap-vs-map.ts with rolldown and runs it `runs` times, each in a fresh Node process
 * doing `rounds` rounds (map, then heap, on fresh states); a phase's time is its best over all.
 * With `--baseline DIR` (a checkout of another commit, e.g. `git archive <commit> web bench |
 * tar -x -C DIR` with node_modules linked in), the same entry is bundled against DIR's sources
 * too, and the processes of the two alternate, so both columns come from one run on one machine.
 *
 * With `--gc`, every phase starts from a fully collected heap (Node's `--expose-gc`). Without
 * it, where a young-generation collection falls depends on what earlier phases allocated: a
 * change that allocates less in one phase can move a scavenge into a later, short phase of
 * another state (at 100k map puts, one 2 ms scavenge is a fifth of the phase), and that
 * repeats every round, so the best round does not escape it. `--gc` is a diagnostic for such
 * shifts: a full collection also costs the next phase some warmth, so its ratios run lower than
 * the default's; compare columns of one mode only. The default is what the browser bench (which
 * cannot collect) sees.
 *
 * With `--median`, a phase's time is each run's best (over its rounds), and the table shows the
 * median over runs of those times and of the per-run heap ÷ map ratios — the browser bench's
 * method (`rounds` 3: its fastest of 3 rounds, then the median of several runs). Best-of-all
 * rewards the one lucky run; the median is steadier on a loaded machine.
 *
 * With `--browser`, the same entry runs in headless Chromium (/usr/bin/chromium, as
 * bench/run-browser.mjs) instead: a cross-origin-isolated page (5 µs worker clocks) starts a
 * fresh module worker per run and subject, as the browser bench does per subject, so map and
 * heap never share a worker's JIT feedback or heap. Chromium's V8 is much newer than Node's and
 * optimizes some loops differently (Map iteration above all), so this is the quick proxy of
 * the browser bench; it runs the ValueState, list and map phases only, without the LSM subject.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

function parseArgs(argv) {
  const options = { rounds: 5, runs: 3, baseline: undefined, gc: false, browser: false, median: false };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--rounds') options.rounds = Number(value);
    else if (flag === '--runs') options.runs = Number(value);
    else if (flag === '--baseline') options.baseline = resolve(value);
    else if (flag === '--gc' || flag === '--browser' || flag === '--median') {
      options[flag.slice(2)] = true;
      i--;
    } else throw new Error(`unknown argument ${flag}`);
  }
  return options;
}

/** Bundles the entry as it would sit in `tree` (copied there first when it is another tree). */
async function bundle(tree, out, platform) {
  const entry = join(tree, 'bench/node/heap-vs-map.ts');
  if (tree !== root) {
    await mkdir(dirname(entry), { recursive: true });
    await copyFile(join(here, 'heap-vs-map.ts'), entry);
  }
  await run(join(root, 'node_modules/.bin/rolldown'), [entry, '--file', out, '--format', 'esm', '--platform', platform], { cwd: tree });
  return out;
}

/** The page of `--browser`: `window.measure(bundle, rounds, only)` runs one fresh worker. */
const PAGE = `<!doctype html><script>
window.measure = (bundle, rounds, only) => new Promise((resolve, reject) => {
  const worker = new Worker(bundle, { type: 'module' });
  worker.onmessage = ({ data }) => { worker.terminate(); data.error === undefined ? resolve(data) : reject(new Error(data.error)); };
  worker.onerror = (e) => { worker.terminate(); reject(new Error(e.message)); };
  worker.postMessage([rounds, only]);
});
</script>`;

/**
 * A cross-origin-isolated server of `dir` and {@link PAGE}, and a headless Chromium page on it;
 * `run(file, rounds, only)` measures in a fresh worker.
 */
async function openBrowser(dir) {
  const { chromium } = await import('@playwright/test');
  const server = createServer(async (req, res) => {
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    const name = new URL(req.url, 'http://x').pathname.slice(1);
    if (name === '') return res.writeHead(200, { ...headers, 'Content-Type': 'text/html' }).end(PAGE);
    if (!/^[\w.-]+\.mjs$/.test(name)) return res.writeHead(404, headers).end();
    res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' }).end(await readFile(join(dir, name)));
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', ...(process.env.JSFLAGS ? ['--js-flags=' + process.env.JSFLAGS] : [])], headless: true });
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  if (!(await page.evaluate(() => crossOriginIsolated))) throw new Error('the page is not cross-origin isolated');
  return {
    run: (file, rounds, only) => page.evaluate(([f, r, o]) => window.measure(f, r, o), [`/${file}`, rounds, only]),
    close: async () => {
      await browser.close();
      server.close();
    },
  };
}

/** Best time per phase of `into` and `times`. */
function merge(into, times) {
  for (const [phase, ms] of Object.entries(times)) into[phase] = Math.min(into[phase] ?? Infinity, ms);
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const dir = await mkdtemp(join(tmpdir(), 'heap-vs-map-'));
  const platform = options.browser ? 'browser' : 'node';
  const variants = [{ name: 'current', bundle: await bundle(root, join(dir, 'current.mjs'), platform) }];
  if (options.baseline !== undefined) variants.unshift({ name: 'baseline', bundle: await bundle(options.baseline, join(dir, 'baseline.mjs'), platform) });
  const best = new Map(variants.map((v) => [v.name, { map: {}, heap: {} }]));
  /** Per variant, every run's best times: `{ map, heap }` (for `--median`). */
  const perRun = new Map(variants.map((v) => [v.name, []]));
  const browser = options.browser ? await openBrowser(dir) : undefined;
  let ops = {};
  try {
    for (let r = 0; r < options.runs; r++) {
      for (const v of variants) {
        let results;
        if (browser !== undefined) {
          // One worker per subject, as the browser bench.
          results = [await browser.run(basename(v.bundle), options.rounds, 'map'), await browser.run(basename(v.bundle), options.rounds, 'heap')];
        } else {
          const flags = options.gc ? ['--expose-gc'] : [];
          const { stdout } = await run(process.execPath, [...flags, v.bundle, String(options.rounds)], { maxBuffer: 1 << 20 });
          results = [JSON.parse(stdout.trim().split('\n').at(-1))];
        }
        const thisRun = { map: {}, heap: {} };
        for (const result of results) {
          merge(thisRun.map, result.map ?? {});
          merge(thisRun.heap, result.heap ?? {});
          merge(best.get(v.name).map, result.map ?? {});
          merge(best.get(v.name).heap, result.heap ?? {});
          ops = result.ops;
        }
        perRun.get(v.name).push(thisRun);
      }
    }
  } finally {
    await browser?.close();
  }
  const rate = (phase, ms) => (ops[phase] / ms) * 1000;
  const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}k`);
  const header = ['phase', ...variants.flatMap((v) => [`${v.name} map`, `${v.name} heap`, `${v.name} heap÷map`])];
  const rows = Object.keys(ops).map((phase) => [
    phase,
    ...variants.flatMap((v) => {
      if (options.median) {
        const runs = perRun.get(v.name);
        const map = median(runs.map((r) => r.map[phase]));
        const heap = median(runs.map((r) => r.heap[phase]));
        return [fmt(rate(phase, map)), fmt(rate(phase, heap)), median(runs.map((r) => r.map[phase] / r.heap[phase])).toFixed(2)];
      }
      const { map, heap } = best.get(v.name);
      return [fmt(rate(phase, map[phase])), fmt(rate(phase, heap[phase])), (map[phase] / heap[phase]).toFixed(2)];
    }),
  ]);
  const of = options.median ? 'median of' : 'best of';
  const where = browser !== undefined ? `Chromium (/usr/bin/chromium), ${of} ${options.runs} runs (a fresh worker per subject) ×` : `node ${process.version}, ${of} ${options.runs} processes ×`;
  console.log(`${where} ${options.rounds} rounds${options.median ? ' (best of each run\'s rounds)' : ''}, ops/s${options.gc ? ', heap collected before each phase' : ''}`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => ' --- ').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

await main();

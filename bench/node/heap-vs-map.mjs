#!/usr/bin/env node
/**
 * Heap backend ÷ raw Map per phase of the keyed-state benchmark, in Node:
 *
 *   node bench/node/heap-vs-map.mjs [--rounds 5] [--runs 3] [--baseline DIR] [--gc]
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
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

function parseArgs(argv) {
  const options = { rounds: 5, runs: 3, baseline: undefined, gc: false };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--rounds') options.rounds = Number(value);
    else if (flag === '--runs') options.runs = Number(value);
    else if (flag === '--baseline') options.baseline = resolve(value);
    else if (flag === '--gc') {
      options.gc = true;
      i--;
    } else throw new Error(`unknown argument ${flag}`);
  }
  return options;
}

/** Bundles the entry as it would sit in `tree` (copied there first when it is another tree). */
async function bundle(tree, out) {
  const entry = join(tree, 'bench/node/heap-vs-map.ts');
  if (tree !== root) {
    await mkdir(dirname(entry), { recursive: true });
    await copyFile(join(here, 'heap-vs-map.ts'), entry);
  }
  await run(join(root, 'node_modules/.bin/rolldown'), [entry, '--file', out, '--format', 'esm', '--platform', 'node'], { cwd: tree });
  return out;
}

/** Best time per phase of `into` and `times`. */
function merge(into, times) {
  for (const [phase, ms] of Object.entries(times)) into[phase] = Math.min(into[phase] ?? Infinity, ms);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const dir = await mkdtemp(join(tmpdir(), 'heap-vs-map-'));
  const variants = [{ name: 'current', bundle: await bundle(root, join(dir, 'current.mjs')) }];
  if (options.baseline !== undefined) variants.unshift({ name: 'baseline', bundle: await bundle(options.baseline, join(dir, 'baseline.mjs')) });
  const best = new Map(variants.map((v) => [v.name, { map: {}, heap: {} }]));
  let ops = {};
  for (let r = 0; r < options.runs; r++) {
    for (const v of variants) {
      const flags = options.gc ? ['--expose-gc'] : [];
      const { stdout } = await run(process.execPath, [...flags, v.bundle, String(options.rounds)], { maxBuffer: 1 << 20 });
      const result = JSON.parse(stdout.trim().split('\n').at(-1));
      merge(best.get(v.name).map, result.map);
      merge(best.get(v.name).heap, result.heap);
      ops = result.ops;
    }
  }
  const rate = (phase, ms) => (ops[phase] / ms) * 1000;
  const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(0)}k`);
  const header = ['phase', ...variants.flatMap((v) => [`${v.name} map`, `${v.name} heap`, `${v.name} heap÷map`])];
  const rows = Object.keys(ops).map((phase) => [
    phase,
    ...variants.flatMap((v) => {
      const { map, heap } = best.get(v.name);
      return [fmt(rate(phase, map[phase])), fmt(rate(phase, heap[phase])), (map[phase] / heap[phase]).toFixed(2)];
    }),
  ]);
  console.log(`node ${process.version}, best of ${options.runs} processes × ${options.rounds} rounds, ops/s${options.gc ? ', heap collected before each phase' : ''}`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => ' --- ').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

await main();

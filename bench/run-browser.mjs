#!/usr/bin/env node
/**
 * The browser benchmark suite: builds and serves the bench page (bench/browser) with Vite,
 * opens it in Chromium, runs Debian's native `db_bench` for reference while the page idles, then
 * runs every contender at every key count in that one Chromium session, then the keyed-state
 * subjects (heap, LSM on OPFS, raw Map) and the checkpoint benchmark in the same session; prints
 * ops/s, ratios and targets, and writes the browser, keyed-state and checkpoint sections of
 * docs/benchmarks.md.
 *
 *   node bench/run-browser.mjs [--keys=100000,1000000] [--contenders=engine-opfs,idb,...]
 *                              [--per-op-cap=5000] [--load-cap=250000] [--no-doc]
 *                              [--suites=kv,state,checkpoint] [--checkpoint-keys=1000000]
 *                              [--no-heap-checkpoint]
 *
 * Benchmarks measure; they never fail on a timing. They fail when a contender errs or when the
 * contenders disagree about the data (a read not found, different scan results).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from '@playwright/test';
import { build, preview } from 'vite';
import { dbBench, rocksDbVersion } from './lib/native.mjs';
import { inconsistencies, keyCounts, markdownSection, ratiosTable, replaceSection, resultsTable } from './lib/report.mjs';
import { checkpointProblems, checkpointSection, checkpointTable } from './lib/checkpoint-report.mjs';
import { replaceNamedSection } from './lib/sections.mjs';
import { stateInconsistencies, stateRatiosText, stateSection, stateTable } from './lib/state-report.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const configFile = join(root, 'bench', 'vite.config.ts');
const docPath = join(root, 'docs', 'benchmarks.md');
/** The keyed-state workload's sizes, seed and rounds; bench/node/heap-vs-map.ts runs the same. */
const STATE_SIZES = JSON.parse(await readFile(join(root, 'bench', 'browser', 'state', 'state-sizes.json'), 'utf8'));

/** Chromium's flags, the same as playwright.config.ts: no sandbox as root, nothing networked. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...(process.env.JSFLAGS ? [`--js-flags=${process.env.JSFLAGS}`] : [])];

function log(text) {
  process.stderr.write(`bench: ${text}\n`);
}

function parseArgs(argv) {
  // Caps of the stores that pay a transaction per write or per batch (IndexedDB, sqlite): beyond
  // them a run at a million keys takes far longer than the rest of the suite together.
  // `contenders` undefined: every one the page offers (bench/browser/protocol.ts CONTENDERS).
  // `suites`: kv (engine vs IndexedDB, sqlite, Map), state (issue 5), checkpoint (issue 6).
  const options = { keys: [100_000, 1_000_000], contenders: undefined, perOpCap: 5_000, loadCap: 250_000, writeDoc: true, suites: [...SUITES], checkpointKeys: 1_000_000, heapCheckpoint: true };
  for (const arg of argv) {
    const [name, value = ''] = arg.split('=', 2);
    if (name === '--keys') options.keys = value.split(',').map(Number);
    else if (name === '--contenders') options.contenders = value.split(',');
    else if (name === '--per-op-cap') options.perOpCap = Number(value);
    else if (name === '--load-cap') options.loadCap = Number(value);
    else if (name === '--no-doc') options.writeDoc = false;
    else if (name === '--suites') options.suites = value.split(',');
    else if (name === '--checkpoint-keys') options.checkpointKeys = Number(value);
    else if (name === '--no-heap-checkpoint') options.heapCheckpoint = false;
    else throw new Error(`unknown argument ${arg} (see the header of bench/run-browser.mjs)`);
  }
  if (options.keys.some((k) => !Number.isInteger(k) || k < 1)) throw new Error(`--keys must be positive integers, got ${options.keys}`);
  const unknownSuites = options.suites.filter((s) => !SUITES.includes(s));
  if (unknownSuites.length > 0) throw new Error(`unknown suites ${unknownSuites.join(', ')}; known: ${SUITES.join(', ')}`);
  for (const [flag, value] of [['--per-op-cap', options.perOpCap], ['--load-cap', options.loadCap], ['--checkpoint-keys', options.checkpointKeys]]) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} must be a positive integer, got ${value}`);
  }
  return options;
}

/** The suites a run may do, in run order. */
const SUITES = ['kv', 'state', 'checkpoint'];

/** `Chromium 156.0.1234.5 built on Debian ...` → `156.0.1234.5`. */
async function chromiumVersion() {
  const { stdout } = await promisify(execFile)('/usr/bin/chromium', ['--version']);
  return /(\d+(?:\.\d+)+)/.exec(stdout)?.[1] ?? stdout.trim();
}

async function machine() {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown CPU';
  const { stdout } = await promisify(execFile)('nproc');
  const meminfo = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  return `${stdout.trim()} cores, ${Math.round(memKb / 1048576)} GiB, ${model.trim()}`;
}

/** The same workload parameters for every contender of a key count. */
function specFor(contender, keys, options) {
  return { contender, keys, seed: 20_240_601, perOpCap: options.perOpCap, loadCap: options.loadCap, batchSize: 1000, gets: 200_000, scans: 1000, scanLength: 100, commits: 100 };
}

/**
 * The keyed-state workload (issue 5): a small ValueState set that fits the LSM backend's value
 * cache (10,000 entries per state by default) and a large one that does not; lists of 100
 * elements; 1,000 maps of 100 entries.
 */
function stateSpecFor(subject) {
  return { subject, ...STATE_SIZES };
}

/** The checkpoint workload (issue 6): the engine benchmark's keys and values, 1% changed. */
function checkpointSpecFor(options) {
  return { keys: options.checkpointKeys, seed: 20_240_603, changeFraction: 0.01, verifyReads: 10_000, heap: options.heapCheckpoint };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const meta = {
    date: new Date().toISOString().slice(0, 10),
    machine: await machine(),
    rocksdb: await rocksDbVersion(),
    seed: specFor('map', 1, options).seed,
    perOpCap: options.perOpCap,
    loadCap: options.loadCap,
    batchSize: specFor('map', 1, options).batchSize,
    chromium: await chromiumVersion(),
    /** 1-minute load averages at the start and the end: other work on the machine skews absolute numbers. */
    load: [loadavg()[0] ?? 0],
    /** Contender ids and labels, from the page. */
    labels: {},
  };

  log('building the bench page (vite build)');
  await build({ configFile, logLevel: 'warn' });
  const server = await preview({ configFile, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0] ?? 'http://localhost:4190/';
  const profile = await mkdtemp(join(tmpdir(), 'edgestate-bench-profile-'));
  const native = {};
  const results = [];
  const stateResults = [];
  let checkpointResult;
  try {
    // A persistent context keeps OPFS and IndexedDB on disk, as for a user (an incognito-like
    // context would hold them in memory).
    const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('console', (message) => log(`  ${message.text()}`));
      page.on('pageerror', (error) => log(`  page error: ${error.message}`));
      await page.goto(url);
      await page.waitForFunction(() => document.body.dataset.ready === 'true');
      log(`Chromium ${meta.chromium} at ${url}`);
      meta.labels = await page.evaluate(() => window.edgestateBench.contenders);
      meta.stateLabels = await page.evaluate(() => window.edgestateBench.stateSubjects);
      const known = Object.keys(meta.labels);
      const contenders = options.suites.includes('kv') ? (options.contenders ?? known) : [];
      const unknown = contenders.filter((c) => !known.includes(c));
      if (unknown.length > 0) throw new Error(`unknown contenders ${unknown.join(', ')}; known: ${known.join(', ')}`);

      // Native first, while the browser idles: the two never compete for the cores.
      if (!options.suites.includes('kv')) log('suite kv not selected: no native or key-value numbers');
      else if (meta.rocksdb === undefined) log('db_bench (Debian rocksdb-tools) is not installed: no native numbers');
      else {
        for (const keys of options.keys) {
          log(`native RocksDB ${meta.rocksdb} db_bench fillrandom,readrandom, ${keys} keys`);
          native[keys] = await dbBench(keys);
          log(`  fillrandom ${native[keys].fillrandom} ops/s, readrandom ${native[keys].readrandom} ops/s`);
        }
      }

      for (const keys of options.keys) {
        for (const contender of contenders) {
          log(`${contender}, ${keys} keys`);
          const spec = specFor(contender, keys, options);
          results.push(await page.evaluate((s) => window.edgestateBench.run(s), spec));
        }
      }

      if (options.suites.includes('state')) {
        for (const subject of Object.keys(meta.stateLabels)) {
          log(`keyed state: ${subject}`);
          stateResults.push(await page.evaluate((s) => window.edgestateBench.runState(s), stateSpecFor(subject)));
        }
      }
      if (options.suites.includes('checkpoint')) {
        const spec = checkpointSpecFor(options);
        log(`checkpoints: ${spec.keys} keys`);
        checkpointResult = await page.evaluate((s) => window.edgestateBench.runCheckpoint(s), spec);
      }
    } finally {
      await context.close();
    }
  } finally {
    await rm(profile, { recursive: true, force: true });
    await server.close();
  }

  meta.load.push(loadavg()[0] ?? 0);
  const run = { results, native, meta, stateResults, checkpoint: checkpointResult };
  const problems = [...inconsistencies(results), ...stateInconsistencies(stateResults), ...(checkpointResult === undefined ? [] : checkpointProblems(checkpointResult))];
  if (problems.length > 0) throw new Error(`contenders disagree about the data:\n${problems.join('\n')}`);
  for (const keys of keyCounts(run)) {
    process.stdout.write(`\n${keys} keys\n\n${resultsTable(run, keys)}\n\n${ratiosTable(run, keys)}\n`);
  }
  if (stateResults.length > 0) process.stdout.write(`\nKeyed state\n\n${stateTable(run)}\n\n${stateRatiosText(run)}\n`);
  if (checkpointResult !== undefined) process.stdout.write(`\nCheckpoints\n\n${checkpointTable(checkpointResult)}\n`);
  if (options.writeDoc) {
    let doc = await readFile(docPath, 'utf8').catch(() => '# Benchmarks\n');
    if (results.length > 0) doc = replaceSection(doc, markdownSection(run));
    if (stateResults.length > 0) doc = replaceNamedSection(doc, stateSection(run));
    if (checkpointResult !== undefined) doc = replaceNamedSection(doc, checkpointSection(run));
    await writeFile(docPath, doc);
    log(`wrote the sections of ${docPath} this run measured`);
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});

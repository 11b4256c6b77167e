/**
 * Sections of docs/benchmarks.md: each suite owns one `## ` section, found by its heading and
 * replaced whole, so a run rewrites only the sections it measured. Pure functions.
 */

/**
 * Replaces the section whose heading is the first line of `section` (everything from that
 * heading to the next `## ` heading), or appends `section` when the document has none.
 */
export function replaceNamedSection(docText, section) {
  const title = section.split('\n', 1)[0];
  if (!title?.startsWith('## ')) throw new Error(`a section starts with a "## " heading, got ${JSON.stringify(title)}`);
  const start = docText.indexOf(`${title}\n`);
  if (start < 0) return `${docText.trimEnd()}\n\n${section.trimEnd()}\n`;
  const next = docText.indexOf('\n## ', start + title.length);
  const rest = next < 0 ? '' : docText.slice(next + 1);
  return `${docText.slice(0, start)}${section.trimEnd()}\n${rest ? `\n${rest}` : ''}`;
}

/** Operations per second: `1,234,567` from 100 up, three significant digits below. */
export function formatRate(value) {
  if (value === undefined) return '–';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toPrecision(3);
}

/** A ratio: `12.3×`, `0.85×`; `n/a` when not measured. */
export function formatRatio(value) {
  if (value === undefined) return 'n/a';
  return value >= 10 ? `${value.toFixed(1)}×` : `${value.toFixed(2)}×`;
}

/** `a / b`, or undefined when either is missing or `b` is 0. */
export function ratio(a, b) {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

/** The run's circumstances, for a section's first paragraph. */
export function measuredLine(meta) {
  return (
    `Measured ${meta.date} on ${meta.machine}, Chromium ${meta.chromium} (headless, on-disk profile), in the same browser session as the ` +
    `other browser benchmarks (\`bench/run-browser.mjs\`, \`npm run bench\`). Load average (1 min) ${meta.load.map((l) => l.toFixed(1)).join(' at the start, ')} ` +
    'at the end of the run (other work shared the 2 cores: absolute numbers vary with load, ratios of one run are what to compare).'
  );
}

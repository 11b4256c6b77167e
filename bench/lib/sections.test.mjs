import { describe, expect, it } from 'vitest';
import { formatRate, formatRatio, replaceNamedSection } from './sections.mjs';

describe('replaceNamedSection', () => {
  const doc = '# Benchmarks\n\n## A\n\nold a\n\n## B\n\nold b\n';

  it('replaces only the section with the same heading, keeping the ones after it', () => {
    expect(replaceNamedSection(doc, '## A\n\nnew a\n')).toBe('# Benchmarks\n\n## A\n\nnew a\n\n## B\n\nold b\n');
    expect(replaceNamedSection(doc, '## B\n\nnew b\n')).toBe('# Benchmarks\n\n## A\n\nold a\n\n## B\n\nnew b\n');
  });

  it('appends a section the document does not have yet, and refuses one without a heading', () => {
    expect(replaceNamedSection(doc, '## C\n\nc\n')).toBe(`${doc}\n## C\n\nc\n`);
    expect(() => replaceNamedSection(doc, 'no heading')).toThrow(/heading/);
  });

  it('does not take a longer heading that starts with the same words for the section', () => {
    const twin = '## A longer\n\nx\n\n## A\n\ny\n';
    expect(replaceNamedSection(twin, '## A\n\nz\n')).toBe('## A longer\n\nx\n\n## A\n\nz\n');
  });
});

describe('formatRate and formatRatio', () => {
  it('rounds rates from 100 up and keeps three digits below; ratios to two decimals below 10', () => {
    expect(formatRate(1234567.8)).toBe('1,234,568');
    expect(formatRate(12.345)).toBe('12.3');
    expect(formatRatio(0.8512)).toBe('0.85×');
    expect(formatRatio(12.34)).toBe('12.3×');
    expect(formatRatio(undefined)).toBe('n/a');
  });
});

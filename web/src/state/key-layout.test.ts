import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptionError } from '../errors.js';
import { compareBytes, decodeStateKey, decodeTimerKey, keyGroupBounds, keyNamespacePrefix, keyPrefix, stateKey, timerKey } from './key-layout.js';

const bytes = fc.uint8Array({ maxLength: 300 });
const ns = fc.option(fc.uint8Array({ maxLength: 200 }), { nil: undefined });
const kg = fc.integer({ min: 0, max: 32767 });
const startsWith = (b: Uint8Array, p: Uint8Array): boolean => b.length >= p.length && p.every((x, i) => b[i] === x);

describe('state key layout', () => {
  it('encodes the worked example of docs/state-layout.md', () => {
    const k = stateKey(0x0102, new TextEncoder().encode('ab'), Uint8Array.of(7), Uint8Array.of(9, 9));
    expect([...k]).toEqual([0x01, 0x02, 0x02, 0x61, 0x62, 0x02, 0x07, 0x09, 0x09]);
    expect([...stateKey(5, Uint8Array.of(1), undefined)]).toEqual([0x00, 0x05, 0x01, 0x01, 0x00]);
  });

  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(kg, bytes, ns, bytes, (g, key, namespace, mapKey) => {
        const d = decodeStateKey(stateKey(g, key, namespace, mapKey));
        expect(d.keyGroup).toBe(g);
        expect([...d.key]).toEqual([...key]);
        expect(d.namespace === undefined ? undefined : [...d.namespace]).toEqual(namespace === undefined ? undefined : [...namespace]);
        expect([...d.mapKey]).toEqual([...mapKey]);
      }),
    );
  });

  it('makes per-key and per-key+namespace prefixes exact: no other key or namespace shares them', () => {
    fc.assert(
      fc.property(kg, bytes, ns, bytes, ns, bytes, (g, k1, n1, k2, n2, mk) => {
        const entry = stateKey(g, k2, n2, mk);
        const sameKey = compareBytes(k1, k2) === 0;
        const sameNs = n1 === undefined ? n2 === undefined : n2 !== undefined && compareBytes(n1, n2) === 0;
        expect(startsWith(entry, keyPrefix(g, k1))).toBe(sameKey);
        expect(startsWith(entry, keyNamespacePrefix(g, k1, n1))).toBe(sameKey && sameNs);
      }),
    );
  });

  it('orders map entries of one map by map-key bytes', () => {
    fc.assert(
      fc.property(bytes, bytes, bytes, (key, a, b) => {
        expect(Math.sign(compareBytes(stateKey(3, key, undefined, a), stateKey(3, key, undefined, b)))).toBe(Math.sign(compareBytes(a, b)));
      }),
    );
  });

  it('puts a key-group range in one byte range', () => {
    fc.assert(
      fc.property(kg, kg, kg, bytes, (a, b, g, key) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const { from: lo, to: hi } = keyGroupBounds(from, to);
        const k = stateKey(g, key, undefined);
        const inside = compareBytes(k, lo) >= 0 && compareBytes(k, hi) < 0;
        expect(inside).toBe(g >= from && g <= to);
      }),
    );
  });

  it('orders timer keys by timestamp first, negative timestamps included', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), fc.maxSafeInteger(), kg, bytes, (t1, t2, g, key) => {
        const a = timerKey(t1, g, key, undefined);
        const b = timerKey(t2, 0, Uint8Array.of(), undefined);
        if (t1 !== t2) expect(Math.sign(compareBytes(a, b))).toBe(Math.sign(t1 - t2));
        expect(decodeTimerKey(a).timestamp).toBe(t1);
      }),
    );
  });

  it('rejects truncated keys with CorruptionError', () => {
    expect(() => decodeStateKey(Uint8Array.of(0, 1, 5, 1))).toThrow(CorruptionError);
    expect(() => decodeStateKey(Uint8Array.of(0, 1, 0, 9, 1))).toThrow(CorruptionError);
    expect(() => decodeStateKey(Uint8Array.of(0))).toThrow(CorruptionError);
  });
});

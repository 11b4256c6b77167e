/** {@link ValueState} on the heap: the value is stored as given. */
import type { ValueState, ValueStateDescriptor } from '../types.js';
import type { HeapContext } from './heap-state.js';
import { CELL_OVERHEAD } from './memory-budget.js';
import { SingleValueHeapState } from './single-value-state.js';

export class HeapValueState<K, V, N> extends SingleValueHeapState<K, N, V> implements ValueState<K, V, N> {
  readonly kind = 'value' as const;

  constructor(ctx: HeapContext, descriptor: ValueStateDescriptor<K, V, N>, onDrop: (name: string) => void) {
    super(ctx, descriptor, descriptor.value, onDrop);
  }

  get(key: K, namespace?: N): V | undefined {
    if (namespace === undefined && this.fast) {
      this.checkFast();
      const cell = this.fastCell(key);
      if (cell === undefined) this.checkFastKey(key);
      this.reads++;
      return cell?.value;
    }
    const loc = this.locate(key, namespace);
    this.reads++;
    const value = this.readCell(loc);
    this.afterAccess();
    return value;
  }

  put(key: K, value: V, namespace?: N): void {
    if (namespace === undefined && this.fast) {
      this.checkFast();
      const size = CELL_OVERHEAD + this.stored.check(value);
      const cell = this.fastCell(key);
      if (cell === undefined) {
        this.insertFast(key, { namespace: undefined, size, value, ts: 0 });
      } else {
        // Fixed-size values (numbers) never change size on overwrite: nothing to charge.
        if (size !== cell.size) this.resize(cell, size);
        cell.value = value;
      }
      this.writes++;
      return;
    }
    const loc = this.locate(key, namespace);
    const size = this.stored.check(value);
    this.writes++;
    this.writeCell(loc, value, size);
    this.afterAccess();
  }

  delete(key: K, namespace?: N): void {
    this.clear(key, namespace);
  }
}

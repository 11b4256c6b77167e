/**
 * The demo's Checkpoints panel: an LSM state backend on OPFS in its own worker
 * (checkpoint-worker.ts), a Checkpoint button, the retained checkpoints with their total and delta
 * bytes, a Download button per checkpoint (a real file download of its `.esckp` export) and an
 * Import input that restores a chosen export into a fresh database.
 *
 * The open database's name is kept in localStorage, since an import moves the state to a new one.
 */
import { wrap, type Remote } from 'comlink';
import '../../web/src/checkpoint/checkpoint-errors.js'; // registers the checkpoint error classes for the wire
import { EdgestateError } from '../../web/src/errors.js';
import { installErrorTransfer } from '../../worker/wire.js';
import { describeError } from '../describe-error.js';
import type { CheckpointSummary, CheckpointWorkerApi, DemoState } from './checkpoint-worker.js';

/** localStorage key of the open database's name. */
const DATABASE_KEY = 'edgestate-demo:checkpoints-database';
const FIRST_DATABASE = 'db-1';
/** State rows shown; the count above the table is all of them. */
const SHOWN = 50;
const GENERATED_KEYS = 500;

/** What the panel offers tests and the console. */
export interface CheckpointsPanel {
  /** Opens the backend (once); every action does so first. */
  open(): Promise<DemoState>;
  /** The whole demo state, as the worker reads it now. */
  state(): Promise<DemoState>;
  list(): Promise<CheckpointSummary[]>;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function kib(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function cells(row: HTMLTableRowElement, texts: readonly string[]): void {
  for (const text of texts) {
    const cell = document.createElement('td');
    cell.textContent = text;
    row.append(cell);
  }
}

/** Starts a real download of `blob` named `fileName` (an `<a download>` over an object URL). */
function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has taken its own reference once started; the URL can go a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function startCheckpointsPanel(): CheckpointsPanel {
  installErrorTransfer();
  let worker: Remote<CheckpointWorkerApi> | undefined;
  let opening: Promise<DemoState> | undefined;
  const api = (): Remote<CheckpointWorkerApi> =>
    (worker ??= wrap<CheckpointWorkerApi>(new Worker(new URL('./checkpoint-worker.ts', import.meta.url), { type: 'module' })));
  const open = (): Promise<DemoState> => {
    opening ??= api()
      .open(localStorage.getItem(DATABASE_KEY) ?? FIRST_DATABASE)
      .then(async (state) => {
        showState(state);
        await showList();
        return state;
      })
      .catch((e: unknown) => {
        opening = undefined;
        throw e;
      });
    return opening;
  };

  const result = $('ckpt-result');
  function showResult(text: string): void {
    result.textContent = text;
    result.className = 'result';
    delete result.dataset['errorName'];
    delete result.dataset['errorCode'];
  }
  function showError(e: unknown): void {
    result.textContent = describeError(e);
    result.className = 'result error';
    if (e instanceof Error) result.dataset['errorName'] = e.name;
    if (e instanceof EdgestateError) result.dataset['errorCode'] = e.code;
  }

  function showState(state: DemoState): void {
    $('ckpt-db').textContent = state.database;
    const history = new Map(state.history);
    const visits = new Map(state.visits);
    $('ckpt-count').textContent = state.greeting.length > SHOWN ? `(${state.greeting.length} keys, first ${SHOWN} shown)` : `(${state.greeting.length} keys)`;
    $('ckpt-state').replaceChildren(
      ...state.greeting.slice(0, SHOWN).map(([key, value]) => {
        const row = document.createElement('tr');
        cells(row, [key, value, (history.get(key) ?? []).join(', '), String(visits.get(key) ?? 0)]);
        return row;
      }),
    );
  }

  async function showList(): Promise<void> {
    const list = await api().list();
    $('ckpt-list').replaceChildren(
      ...list.map((c) => {
        const row = document.createElement('tr');
        row.dataset['checkpoint'] = c.id;
        cells(row, [c.id, new Date(c.createdAt).toLocaleTimeString(), c.incremental ? 'incremental' : 'full', kib(c.totalBytes), kib(c.deltaBytes), String(c.files)]);
        const cell = document.createElement('td');
        const button = document.createElement('button');
        button.type = 'button';
        button.textContent = 'Download';
        button.dataset['testid'] = 'ckpt-download';
        button.addEventListener('click', () => void act(async () => {
          download(await api().exportCheckpoint(c.id), `${c.id}.esckp`);
          return `downloading ${c.id}.esckp`;
        }));
        cell.append(button);
        row.append(cell);
        return row;
      }),
    );
  }

  /** Runs a panel action after opening, then shows its message (or its typed error). */
  async function act(action: () => Promise<string>): Promise<void> {
    try {
      await open();
      showResult(await action());
      await showList();
    } catch (e) {
      showError(e);
    }
  }

  $('ckpt-open').addEventListener('click', () => void act(async () => `opened ${(await open()).database}`));
  $('ckpt-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $<HTMLInputElement>('ckpt-key').value;
    const value = $<HTMLInputElement>('ckpt-value').value;
    void act(async () => {
      showState(await api().put(key, value));
      return `put ${key} = ${value}`;
    });
  });
  $('ckpt-add-many').addEventListener('click', () =>
    void act(async () => {
      showState(await api().addMany(GENERATED_KEYS));
      return `put ${GENERATED_KEYS} generated keys`;
    }),
  );
  $('ckpt-checkpoint').addEventListener('click', () =>
    void act(async () => {
      const c = await api().checkpoint();
      return `checkpoint ${c.id}: ${c.incremental ? 'incremental' : 'full'}, ${kib(c.totalBytes)} total, ${kib(c.deltaBytes)} stored anew, ${c.durationMs.toFixed(1)} ms`;
    }),
  );
  const input = $<HTMLInputElement>('ckpt-import');
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file === undefined) return;
    void act(async () => {
      const database = `db-${Date.now()}`;
      const state = await api().importCheckpoint(file, database);
      localStorage.setItem(DATABASE_KEY, database);
      showState(state);
      return `restored ${file.name} into ${database}: ${state.greeting.length} keys`;
    }).finally(() => {
      input.value = ''; // choosing the same file again must fire change again
    });
  });

  return {
    open,
    state: async () => {
      await open();
      return api().state();
    },
    list: async () => {
      await open();
      return api().list();
    },
  };
}

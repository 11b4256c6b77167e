import { expect, test } from '@playwright/test';

// Bad input through the worker API must reject, on the main thread, with the same typed error
// class the worker threw: never a plain Error, never a promise that hangs.

test.beforeEach(async ({ page }) => {
  await page.goto(`/?db=errors-${Date.now()}`);
  await expect(page.getByTestId('recovery')).toContainText('recovered');
});

test('a key that is neither a string nor bytes rejects with InvalidArgumentError', async ({ page }) => {
  const outcome = await page.evaluate(async () => {
    const { client, errors } = window.edgestateDemo;
    const results = [];
    for (const bad of [42, null, { a: 1 }, [1, 2]]) {
      const e: unknown = await client.put(bad as unknown as string, 'v').then(() => undefined, (e: unknown) => e);
      results.push({
        isClass: e instanceof errors.InvalidArgumentError && e instanceof errors.EdgestateError,
        code: (e as { code?: string } | undefined)?.code,
        message: (e as Error | undefined)?.message,
      });
    }
    const badValue: unknown = await client.put('k', 7 as unknown as string).then(() => undefined, (e: unknown) => e);
    return { results, badValue: (badValue as Error).message, stored: await client.entries() };
  });
  expect(outcome.results.map((r) => [r.isClass, r.code])).toEqual(Array(4).fill([true, 'INVALID_ARGUMENT']));
  expect(outcome.results.map((r) => r.message)).toEqual([
    'key must be a string or a Uint8Array, got number',
    'key must be a string or a Uint8Array, got null',
    'key must be a string or a Uint8Array, got object',
    'key must be a string or a Uint8Array, got array',
  ]);
  expect(outcome.badValue).toBe('value must be a string or a Uint8Array, got number');
  expect(outcome.stored).toEqual([]);
});

test('a key over the size limit rejects with KeyTooLargeError naming the sizes', async ({ page }) => {
  const e = await page.evaluate(async () => {
    const { client, errors } = window.edgestateDemo;
    const e: unknown = await client.put('k'.repeat(70_000), 'v').then(() => undefined, (e: unknown) => e);
    return { isClass: e instanceof errors.KeyTooLargeError, details: (e as { details?: unknown }).details };
  });
  expect(e).toEqual({ isClass: true, details: { len: 70_000, limit: 65_536 } });
});

test('calls on a closed database reject with DatabaseClosedError', async ({ page }) => {
  const e = await page.evaluate(async () => {
    const { client, errors } = window.edgestateDemo;
    await client.close();
    const e: unknown = await client.get('a').then(() => undefined, (e: unknown) => e);
    return { isClass: e instanceof errors.DatabaseClosedError, code: (e as { code?: string }).code };
  });
  expect(e).toEqual({ isClass: true, code: 'DATABASE_CLOSED' });
});

test('calls on a terminated worker reject with WorkerTerminatedError instead of hanging', async ({ page }) => {
  const e = await page.evaluate(async () => {
    const { client, errors } = window.edgestateDemo;
    const pending = client.entries();
    client.terminate();
    const [a, b] = await Promise.all([
      pending.then(() => 'resolved', (e: unknown) => e instanceof errors.WorkerTerminatedError),
      client.get('x').then(() => 'resolved', (e: unknown) => e instanceof errors.WorkerTerminatedError),
    ]);
    return [a, b];
  });
  // The pending call may have been answered before the kill; the later one must reject.
  expect(['resolved', true]).toContain(e[0]);
  expect(e[1]).toBe(true);
});

test('a second tab opening the same database gets DatabaseLockedError', async ({ page, context }) => {
  const db = new URL(page.url()).searchParams.get('db');
  const second = await context.newPage();
  await second.goto(`/?db=${db}`);
  await expect(second.getByTestId('result')).toContainText('DatabaseLockedError (DATABASE_LOCKED)', { timeout: 15_000 });
  // The first tab is unaffected.
  await page.getByTestId('key').fill('a');
  await page.getByTestId('value').fill('1');
  await page.getByTestId('put').click();
  await expect(page.getByTestId('result')).toHaveText('put a');
  // Once the first tab is gone, the second opens the database and sees its data.
  await page.close();
  await second.reload();
  await expect(second.getByTestId('recovery')).toContainText('recovered');
  await expect(second.getByTestId('entries')).toHaveText('a1');
});

/**
 * scripts/gen-dataset.mjs at a small N (10,000 rows; the default 10,000,000 is for manual scale runs): both
 * formats are written, the same N gives byte-identical CSV, and DuckDB's answers over each file equal the
 * known answers computed in plain JavaScript from the row formulas.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript script without type declarations
import { generateSalesDataset } from '../../scripts/gen-dataset.mjs';

interface Answers {
  rows: number;
  revenue: string;
  ordersByRegion: Record<string, number>;
}
type Generate = (o: { out: string; rows: number; format?: string }) => Promise<{
  files: string[];
  expected: Answers;
  checked: Record<string, Answers>;
}>;
const generate = generateSalesDataset as Generate;

describe('gen-dataset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcpf-gen-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes 10,000 rows as CSV and Parquet whose answers match the known ones', async () => {
    const result = await generate({ out: join(dir, 'a'), rows: 10_000 });
    expect(result.files.map((f) => f.split('/').pop())).toEqual(['sales-10000.csv', 'sales-10000.parquet']);
    expect(result.expected.rows).toBe(10_000);
    for (const file of result.files) expect(result.checked[file]).toEqual(result.expected);
    expect(Object.values(result.expected.ordersByRegion).reduce((a, b) => a + b, 0)).toBe(10_000);
    const csv = readFileSync(result.files[0] as string, 'utf8').split('\n');
    expect(csv[0]).toBe('order_id,date,region,product,quantity,price,customer_id');
    expect(csv[1]).toBe('1,2023-01-01,North,Widget,1,4.99,1');
    expect(csv.filter((l) => l !== '')).toHaveLength(10_001);

    const again = await generate({ out: join(dir, 'b'), rows: 10_000, format: 'csv' });
    expect(readFileSync(again.files[0] as string, 'utf8')).toBe(csv.join('\n'));
  });
});

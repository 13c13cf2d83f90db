/**
 * mcpf_tool_calls and mcpf_tool_latency: tool-call metrics as per-minute aggregates (counts, errors, latency
 * sum/min/max) and sparse latency histograms, merged by upsert so concurrent writers add up exactly.
 */
import type { MinuteAggregate, StatsAccumulator } from '../metrics.js';
import { chunks, type Db, type StoreTraits } from './shared.js';

export class CallsRepository {
  readonly #traits: StoreTraits;

  constructor(traits: StoreTraits) {
    this.#traits = traits;
  }

  /** Add aggregates: two upserts per (server, tool, minute), batched. */
  async add(trx: Db, groups: readonly MinuteAggregate[]): Promise<void> {
    const least = this.#traits.backend === 'postgres' ? 'least' : 'min';
    const greatest = this.#traits.backend === 'postgres' ? 'greatest' : 'max';
    for (const batch of chunks(groups)) {
      await trx
        .insertInto('mcpf_tool_calls')
        .values(
          batch.map((g) => ({
            server: g.server,
            tool: g.tool,
            minute: g.minute,
            calls: g.calls,
            errors: g.errors,
            latency_sum: g.latencySum,
            latency_min: g.latencyMin,
            latency_max: g.latencyMax,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['server', 'tool', 'minute']).doUpdateSet((eb) => ({
            calls: eb('mcpf_tool_calls.calls', '+', eb.ref('excluded.calls')),
            errors: eb('mcpf_tool_calls.errors', '+', eb.ref('excluded.errors')),
            latency_sum: eb('mcpf_tool_calls.latency_sum', '+', eb.ref('excluded.latency_sum')),
            latency_min: eb.fn<number>(least, [
              eb.ref('mcpf_tool_calls.latency_min'),
              eb.ref('excluded.latency_min'),
            ]),
            latency_max: eb.fn<number>(greatest, [
              eb.ref('mcpf_tool_calls.latency_max'),
              eb.ref('excluded.latency_max'),
            ]),
          })),
        )
        .execute();
    }
    const buckets = groups.flatMap((g) =>
      [...g.histogram.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([bucket, count]) => ({ server: g.server, tool: g.tool, minute: g.minute, bucket, count })),
    );
    for (const batch of chunks(buckets)) {
      await trx
        .insertInto('mcpf_tool_latency')
        .values(batch)
        .onConflict((oc) =>
          oc.columns(['server', 'tool', 'minute', 'bucket']).doUpdateSet((eb) => ({
            count: eb('mcpf_tool_latency.count', '+', eb.ref('excluded.count')),
          })),
        )
        .execute();
    }
  }

  /** Per-tool accumulators of a server over minutes `from`..`to` (inclusive), optionally of one tool. */
  async accumulate(
    db: Db,
    server: string,
    from: number,
    to: number,
    tool?: string | undefined,
  ): Promise<Map<string, StatsAccumulator>> {
    let calls = db
      .selectFrom('mcpf_tool_calls')
      .select((eb) => [
        'tool',
        eb.fn.sum<number | string>('calls').as('calls'),
        eb.fn.sum<number | string>('errors').as('errors'),
        eb.fn.sum<number | string>('latency_sum').as('latency_sum'),
        eb.fn.min<number | string>('latency_min').as('latency_min'),
        eb.fn.max<number | string>('latency_max').as('latency_max'),
      ])
      .where('server', '=', server)
      .where('minute', '>=', from)
      .where('minute', '<=', to)
      .groupBy('tool');
    let hist = db
      .selectFrom('mcpf_tool_latency')
      .select((eb) => ['tool', 'bucket', eb.fn.sum<number | string>('count').as('count')])
      .where('server', '=', server)
      .where('minute', '>=', from)
      .where('minute', '<=', to)
      .groupBy(['tool', 'bucket']);
    if (tool !== undefined) {
      calls = calls.where('tool', '=', tool);
      hist = hist.where('tool', '=', tool);
    }
    const [callRows, histRows] = [await calls.execute(), await hist.execute()];
    const perTool = new Map<string, StatsAccumulator>();
    for (const r of callRows) {
      perTool.set(r.tool, {
        calls: Number(r.calls),
        errors: Number(r.errors),
        latencySum: Number(r.latency_sum),
        latencyMin: Number(r.latency_min),
        latencyMax: Number(r.latency_max),
        histogram: new Map(),
      });
    }
    for (const r of histRows) {
      const acc = perTool.get(r.tool);
      if (acc)
        acc.histogram.set(Number(r.bucket), (acc.histogram.get(Number(r.bucket)) ?? 0) + Number(r.count));
    }
    return perTool;
  }

  /** Calls and errors of every server from minute `from` on, in one query (the servers list). */
  async totalsByServer(db: Db, from: number): Promise<Map<string, { calls: number; errors: number }>> {
    const rows = await db
      .selectFrom('mcpf_tool_calls')
      .select((eb) => [
        'server',
        eb.fn.sum<number | string>('calls').as('calls'),
        eb.fn.sum<number | string>('errors').as('errors'),
      ])
      .where('minute', '>=', from)
      .groupBy('server')
      .execute();
    return new Map(rows.map((r) => [r.server, { calls: Number(r.calls), errors: Number(r.errors) }]));
  }

  /** Delete aggregates before `minute`; returns the per-minute call rows deleted. */
  async prune(trx: Db, minute: number): Promise<number> {
    const a = await trx.deleteFrom('mcpf_tool_calls').where('minute', '<', minute).executeTakeFirst();
    await trx.deleteFrom('mcpf_tool_latency').where('minute', '<', minute).execute();
    return Number(a.numDeletedRows);
  }
}

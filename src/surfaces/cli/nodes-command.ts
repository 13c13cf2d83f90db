/**
 * `mcp-factory nodes`: the nodes of a factory cluster sharing this registry (docs/cluster.md), whether each is
 * live (its supervisor heartbeats), the local deployments placed on it, and the servers stranded on dead nodes.
 * Exits 6 (DEPLOYMENT) when servers are stranded, so a health check can use it.
 */
import { type Command, Option } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { EXIT } from './exit.js';
import type { CliIo } from './io.js';

export function registerNodesCommand(program: Command, io: CliIo, exit: (code: number) => never): void {
  program
    .command('nodes')
    .description(
      'nodes of a factory cluster: live or dead, their deployments, servers stranded on dead nodes',
    )
    .option('--home <dir>', 'factory home (default MCP_FACTORY_HOME or ~/.mcp-factory)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: { home?: string; format: string }) => {
      const [{ openRegistry }, { clusterReport }, { failoverDelayMs }] = await Promise.all([
        import('../../store/index.js'),
        import('../../deploy/cluster.js'),
        import('../../deploy/failover.js'),
      ]);
      const config = loadConfig();
      const registry = await openRegistry({ home: opts.home ?? config.home, url: config.registryUrl });
      let report: Awaited<ReturnType<typeof clusterReport>>;
      try {
        report = await clusterReport(registry, config.cluster.deadAfterMs);
      } finally {
        await registry.close();
      }
      if (opts.format === 'json') io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else {
        if (report.nodes.length === 0) io.stdout('No nodes: no supervisor runs with MCP_FACTORY_NODE set.\n');
        for (const n of report.nodes) {
          const seen = `${Math.round(n.silentMs / 1000)} s ago`;
          io.stdout(
            `${n.live ? '✔' : '✖'} ${n.name.padEnd(20)} ${n.live ? 'live' : 'DEAD'} (heartbeat ${seen})${n.url ? `  ${n.url}` : ''}\n`,
          );
          for (const d of n.deployments) io.stdout(`    ${d.server.padEnd(30)} ${d.desired}/${d.status}\n`);
        }
        if (report.stranded.length > 0) {
          const delay = failoverDelayMs(config.cluster.failoverAfterMs, config.cluster.deadAfterMs);
          const when =
            delay !== undefined
              ? `live nodes take them over once their node is silent for ${Math.round(delay / 1000)} s; a deploy moves one now`
              : 'failover is off (MCP_FACTORY_NODE_FAILOVER_AFTER_MS=0): a deploy moves one to a live node';
          io.stdout(`Stranded on dead nodes: ${report.stranded.join(', ')} (${when})\n`);
        }
      }
      if (report.stranded.length > 0) exit(EXIT.DEPLOYMENT);
    });
}

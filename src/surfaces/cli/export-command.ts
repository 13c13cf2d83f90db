/**
 * `mcp-factory export kubernetes NAME`: a registered server's Kubernetes manifests (or, with --helm, a Helm
 * chart) written as YAML for GitOps. A thin layer over deploy/targets/kubernetes/export-server.ts: it parses
 * the flags, opens the registry of --home and prints what was written.
 */
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { FactoryError } from '../../core/errors/index.js';
import { plane } from './deploy-commands.js';
import type { CliIo } from './io.js';

interface ExportOptions {
  out?: string;
  namespace?: string;
  replicas?: string;
  revision?: string;
  imagePrefix?: string;
  ingressHost?: string;
  hpa?: string;
  includeSecrets?: boolean;
  helm?: boolean;
  force?: boolean;
  home?: string;
  format: string;
}

function wholeNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]{1,6}$/.test(text))
    throw new FactoryError('INVALID_ARGUMENTS', `invalid ${flag} ${JSON.stringify(text)}: a whole number`, {
      details: { hint: `e.g. ${flag} 3` },
    });
  return Number(text);
}

export function registerExportCommand(program: Command, io: CliIo): void {
  const exportCommand = program.command('export').description('write a registered server for another system');
  exportCommand
    .command('kubernetes')
    .description('write Kubernetes manifests (or a Helm chart) of a registered server, for GitOps')
    .argument('<name>', 'registered server name')
    .option('--out <dir>', 'output directory (default ./<name>-kubernetes)')
    .option('--revision <n>', 'revision to export (default: the current one)')
    .option('--namespace <ns>', 'namespace of every object (default: default)')
    .option('--replicas <n>', 'replicas, 1-50 (default 1; > 1 adds a PodDisruptionBudget)')
    .option('--image-prefix <registry/>', 'registry prefix of the image, e.g. registry.example.com/team/')
    .option('--ingress-host <host>', 'add an Ingress for this host')
    .option('--hpa <min:max:cpu%>', 'add a HorizontalPodAutoscaler, e.g. 2:10:80')
    .option('--include-secrets', 'write the stored environment values into the Secret (default: keys only)')
    .option('--helm', 'write a Helm chart instead of plain manifests')
    .option('--force', 'write into a non-empty output directory')
    .option('--home <dir>', 'factory home (default MCP_FACTORY_HOME or ~/.mcp-factory)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (name: string, opts: ExportOptions) => {
      const [{ exportServer }, { parseHpa }] = await Promise.all([
        import('../../deploy/targets/kubernetes/export-server.js'),
        import('../../deploy/targets/kubernetes/options.js'),
      ]);
      const options = {
        namespace: opts.namespace,
        replicas: wholeNumber('--replicas', opts.replicas),
        imagePrefix: opts.imagePrefix,
        ingressHost: opts.ingressHost,
        hpa: opts.hpa === undefined ? undefined : parseHpa(opts.hpa),
      };
      const outDir = resolve(opts.out ?? `${name}-kubernetes`);
      // Reading the registry never needs the supervisor.
      const cp = await plane(opts, false);
      try {
        const result = await exportServer(await cp.registry(), cp.layout, {
          server: name,
          revision: wholeNumber('--revision', opts.revision),
          options,
          outDir,
          includeSecrets: opts.includeSecrets,
          helm: opts.helm,
          force: opts.force,
        });
        if (opts.format === 'json')
          io.stdout(
            `${JSON.stringify({ server: name, revision: result.revision, outDir, files: result.files }, null, 2)}\n`,
          );
        else {
          io.stdout(`Wrote ${result.files.length} files for ${name} r${result.revision} to ${outDir}:\n`);
          for (const file of result.files) io.stdout(`  ${file}\n`);
          if (!opts.includeSecrets)
            io.stderr(
              'The Secret has keys only: fill in the values before applying (see the comment in it).\n',
            );
        }
      } finally {
        await cp.close();
      }
    });
}

/**
 * `mcp-factory operator`: reconcile MCPServer resources (deploy/targets/kubernetes/operator.ts) in the cluster
 * of the kubeconfig (MCP_FACTORY_KUBECONFIG, KUBECONFIG, ~/.kube/config, or the in-cluster service account)
 * until SIGINT/SIGTERM, or one pass with --once (exit 6 when a resource was refused or failed).
 * `--print-crd` writes the CRD, RBAC and the operator's Deployment as one YAML stream and needs no cluster.
 */
import { type Command, Option } from 'commander';
import { FactoryError } from '../../core/errors/index.js';
import { EXIT, ExitSignal } from './exit.js';
import type { CliIo } from './io.js';

interface OperatorFlags {
  namespace?: string;
  once?: boolean;
  allowCode?: boolean;
  allowHostAccess?: boolean;
  printCrd?: boolean;
  image?: string;
  installNamespace?: string;
  format: string;
}

export function registerOperatorCommand(program: Command, io: CliIo): void {
  program
    .command('operator')
    .description('reconcile MCPServer custom resources in a Kubernetes cluster (or print the CRD to install)')
    .option('--namespace <ns>', 'watch one namespace (default: every namespace)')
    .option('--once', 'reconcile every resource once and exit')
    .option('--allow-code', 'run tools with code the factory did not write (code kind)')
    .option('--allow-host-access', 'run tools with host access (command kind, code.hostAccess)')
    .option('--print-crd', 'print the CRD, RBAC and operator Deployment as YAML, then exit')
    .option(
      '--image <image>',
      'with --print-crd: the image running mcp-factory (default mcp-factory:VERSION)',
    )
    .option(
      '--install-namespace <ns>',
      'with --print-crd: namespace of the operator (default mcp-factory-system)',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: OperatorFlags) => {
      if (flags.printCrd) return printInstall(io, flags);
      const [{ McpServerOperator }, { ClientNodeOperatorApi }, { loadKubeConfig }] = await Promise.all([
        import('../../deploy/targets/kubernetes/operator.js'),
        import('../../deploy/targets/kubernetes/operator-client.js'),
        import('../../deploy/targets/kubernetes/client.js'),
      ]);
      const { checkKubernetesOptions } = await import('../../deploy/targets/kubernetes/options.js');
      if (flags.namespace !== undefined) checkKubernetesOptions({ namespace: flags.namespace });
      const config = (() => {
        try {
          return loadKubeConfig();
        } catch (error) {
          throw new FactoryError(
            'DEPLOY_TARGET_UNAVAILABLE',
            `the kubeconfig could not be read: ${String(error)}`,
            {
              details: { hint: 'Point MCP_FACTORY_KUBECONFIG or KUBECONFIG at a readable kubeconfig.' },
            },
          );
        }
      })();
      if (!config.getCurrentCluster())
        throw new FactoryError(
          'DEPLOY_TARGET_UNAVAILABLE',
          'the operator found no cluster in its kubeconfig',
          {
            details: {
              hint: 'Set MCP_FACTORY_KUBECONFIG or KUBECONFIG to a kubeconfig, or run the operator in the cluster.',
            },
          },
        );
      const operator = new McpServerOperator(new ClientNodeOperatorApi(config), {
        namespace: flags.namespace,
        allowCode: flags.allowCode === true,
        allowHostAccess: flags.allowHostAccess === true,
        log: (line) => io.stderr(`${line}\n`),
      });
      if (flags.once) {
        const results = await operator.runOnce();
        const bad = results.filter((r) => r.outcome === 'invalid' || r.outcome === 'failed');
        if (flags.format === 'json') {
          // One JSON document for scripts: the results, and the exit code says whether all were reconciled.
          io.stdout(`${JSON.stringify({ ok: bad.length === 0, results }, null, 2)}\n`);
          if (bad.length) throw new ExitSignal(EXIT.DEPLOYMENT);
          return;
        }
        for (const r of results)
          io.stdout(
            `${r.key}\t${r.outcome}\t${r.applied} applied${r.message ? `\t${r.message.split('\n')[0]}` : ''}\n`,
          );
        if (bad.length)
          throw new FactoryError(
            'DEPLOY_FAILED',
            `${bad.length} of ${results.length} MCPServer resources were not reconciled: ${bad.map((r) => r.key).join(', ')}`,
            {
              details: {
                hint: 'kubectl describe mcpserver NAME shows the Degraded condition with the reasons',
              },
            },
          );
        return;
      }
      const { untilShutdown } = await import('./serve.js');
      const stop = new AbortController();
      io.stderr(`operator watching ${flags.namespace ?? 'every namespace'}; Ctrl-C stops it\n`);
      const running = operator.run(stop.signal);
      // A failed start (no CRD, no rights) ends the wait too; awaiting `running` then reports it.
      await untilShutdown(running.catch(() => undefined));
      stop.abort();
      await running;
    });
}

async function printInstall(io: CliIo, flags: OperatorFlags): Promise<void> {
  const [{ operatorInstallObjects, installYaml }, { factoryVersion }] = await Promise.all([
    import('../../deploy/targets/kubernetes/crd-install.js'),
    import('../../platform/factory-files.js'),
  ]);
  const objects = operatorInstallObjects({
    image: flags.image ?? `mcp-factory:${factoryVersion()}`,
    installNamespace: flags.installNamespace,
    watchNamespace: flags.namespace,
    allowCode: flags.allowCode,
    allowHostAccess: flags.allowHostAccess,
  });
  io.stdout(flags.format === 'json' ? `${JSON.stringify(objects, null, 2)}\n` : installYaml(objects));
}

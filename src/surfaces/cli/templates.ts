/** `mcp-factory templates`: the template library, for people (a table) and scripts (JSON). */
import { type Command, Option } from 'commander';

export function registerTemplateCommands(program: Command, io: { stdout: (s: string) => void }): void {
  program
    .command('templates')
    .description('list the server templates (use with: create --template NAME --name X --set k=v)')
    .argument('[name]', 'show one template with its variables and environment')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (name: string | undefined, opts: { format: string }) => {
      const { getTemplate, listTemplates } = await import('../../sources/templates/index.js');
      const all = listTemplates();
      const chosen = name ? all.filter((t) => t.name === name) : all;
      if (name) getTemplate(name); // throws TEMPLATE_NOT_FOUND with the available names
      if (opts.format === 'json') {
        io.stdout(`${JSON.stringify(name ? chosen[0] : chosen, null, 2)}\n`);
        return;
      }
      if (!name) {
        const width = Math.max(...all.map((t) => t.name.length)) + 2;
        for (const t of all) io.stdout(`${t.name.padEnd(width)}${t.category.padEnd(16)}${t.description}\n`);
        io.stdout(
          '\nmcp-factory templates NAME shows its variables; create one with: mcp-factory create --template NAME --name my-server\n',
        );
        return;
      }
      const t = chosen[0]!;
      io.stdout(`${t.title} (${t.name}, ${t.category})\n${t.description}\n\nVariables (--set name=value):\n`);
      for (const v of t.variables) {
        const extra = [
          v.required ? 'required' : '',
          v.default !== undefined ? `default ${v.default}` : '',
          v.enum ? `one of ${v.enum.join('|')}` : '',
        ]
          .filter(Boolean)
          .join(', ');
        io.stdout(`  ${v.name}${extra ? ` (${extra})` : ''}: ${v.description}\n`);
      }
      const env = t.environment as unknown;
      if (Array.isArray(env) && env.length) {
        io.stdout('\nEnvironment of the generated server:\n');
        for (const e of env as Array<{ name: string; description?: string; purpose?: string }>)
          io.stdout(`  ${e.name}: ${e.description ?? e.purpose ?? ''}\n`);
      }
    });
}

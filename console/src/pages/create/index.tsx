/**
 * Create a server: from a spec (editor), a template, an OpenAPI document, a database, or a description (when
 * the factory has an LLM provider). Each way ends in the same creation job with live progress. The tab is in
 * the address (?from=) so a link can open one.
 */
import { type ReactNode, useState } from 'react';
import { useSearchParams } from 'wouter';
import { type TabSpec, Tabs } from '../../components/Tabs.tsx';
import { useCapabilities } from '../capabilities.ts';
import { DatabaseTab } from './DatabaseTab.tsx';
import { DescriptionTab } from './DescriptionTab.tsx';
import { OpenApiTab } from './OpenApiTab.tsx';
import { SpecTab, STARTER_SPEC } from './SpecTab.tsx';
import { TemplateTab } from './TemplateTab.tsx';

export default function CreatePage() {
  const [params, setParams] = useSearchParams();
  const [specText, setSpecText] = useState(STARTER_SPEC);
  const capabilities = useCapabilities();
  const [llmRefused, setLlmRefused] = useState(false);
  // Unknown (an API without /mcp/capabilities): offered, and hidden once the factory answers LLM_NOT_CONFIGURED.
  const llm = !llmRefused && (capabilities.data?.llm ?? capabilities.data === null);
  const active = params.get('from') ?? 'spec';
  const select = (id: string) => setParams(id === 'spec' ? {} : { from: id }, { replace: true });
  const openInEditor = (text: string) => {
    setSpecText(text);
    select('spec');
  };

  const tabs: (TabSpec & { render: () => ReactNode })[] = [
    { id: 'spec', label: 'Spec', render: () => <SpecTab text={specText} onText={setSpecText} /> },
    { id: 'template', label: 'Template', render: () => <TemplateTab onOpenInEditor={openInEditor} /> },
    { id: 'openapi', label: 'OpenAPI', render: () => <OpenApiTab onOpenInEditor={openInEditor} /> },
    { id: 'database', label: 'Database', render: () => <DatabaseTab onOpenInEditor={openInEditor} /> },
    ...(llm
      ? [
          {
            id: 'description',
            label: 'Description',
            render: () => <DescriptionTab onUnavailable={() => setLlmRefused(true)} />,
          },
        ]
      : []),
  ];

  const current = tabs.find((t) => t.id === active) ?? tabs[0]!;

  return (
    <section className="page page-create">
      <h1>Create a server</h1>
      <Tabs label="Create from" tabs={tabs} selected={current.id} onSelect={select}>
        {current.render()}
      </Tabs>
      {llmRefused && (
        <p className="muted" role="status">
          Creating from a description needs an LLM provider on the factory (see docs/llm.md).
        </p>
      )}
    </section>
  );
}

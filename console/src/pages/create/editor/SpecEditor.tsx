/**
 * The spec editor (CodeMirror 6), loaded lazily with the Create page's Spec tab only: YAML or JSON with
 * completion, hover and lint from the published JSON Schema (schema/mcp-spec.schema.json, bundled at build
 * time), plus the factory's own validation issues as a second lint source.
 */
import { type Diagnostic, linter, lintGutter } from '@codemirror/lint';
import { Compartment, EditorState, StateEffect } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { jsonSchema } from 'codemirror-json-schema';
import { yamlSchema } from 'codemirror-json-schema/yaml';
import type { JSONSchema7 } from 'json-schema';
import { useEffect, useRef } from 'react';
import specSchema from '../../../../../schema/mcp-spec.schema.json';
import { issueRange, type SpecIssue } from '../issues.ts';

export type SpecLanguage = 'yaml' | 'json';

export interface SpecEditorProps {
  value: string;
  onChange: (value: string) => void;
  language: SpecLanguage;
  /** The factory's validation issues of the current text. */
  issues: SpecIssue[];
  label: string;
}

const schema = specSchema as unknown as JSONSchema7;

/** Dispatched when the factory's issues change: the lint sources run again (forceLinting only hurries a pending run). */
const issuesChanged = StateEffect.define<null>();

/** Styles inside the shadow root (the page's stylesheet does not reach it; CSS variables do). */
const editorTheme = EditorView.theme({
  '&': { height: '32rem', fontSize: '0.85rem', backgroundColor: 'var(--surface)', color: 'var(--text)' },
  '&.cm-focused': { outline: '3px solid var(--focus)' },
  '.cm-scroller': { fontFamily: 'var(--mono)' },
  '.cm-gutters': {
    backgroundColor: 'var(--muted-bg)',
    color: 'var(--text-muted)',
    borderRight: '1px solid var(--border)',
  },
  '.cm-activeLineGutter, .cm-activeLine': {
    backgroundColor: 'color-mix(in srgb, var(--accent) 8%, transparent)',
  },
  '.cm-tooltip': {
    backgroundColor: 'var(--surface)',
    color: 'var(--text)',
    border: '1px solid var(--border)',
  },
});

function languageExtension(language: SpecLanguage) {
  return language === 'yaml' ? yamlSchema(schema) : jsonSchema(schema);
}

export default function SpecEditor({ value, onChange, language, issues, label }: SpecEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>(undefined);
  const languageSlot = useRef(new Compartment());
  const serverIssues = useRef<SpecIssue[]>(issues);
  const changed = useRef(onChange);
  changed.current = onChange;

  // The editor is created once; value, language and issues are pushed into it by the effects below.
  // biome-ignore lint/correctness/useExhaustiveDependencies: see above.
  useEffect(() => {
    if (!host.current) return;
    // CodeMirror's styles go into a <style> element on a document (which the CSP refuses) but into constructed
    // stylesheets (CSSOM, allowed) on a shadow root: the editor lives in one.
    const shadow = host.current.shadowRoot ?? host.current.attachShadow({ mode: 'open' });
    const parent = document.createElement('div');
    shadow.replaceChildren(parent);
    const serverLint = linter(
      (v): Diagnostic[] => {
        const text = v.state.doc.toString();
        return serverIssues.current.map((issue) => {
          const range = issueRange(text, issue);
          return {
            from: Math.min(range.from, text.length),
            to: Math.min(range.to, text.length),
            severity: 'error',
            source: `factory ${issue.code}`,
            message: issue.hint ? `${issue.message} — ${issue.hint}` : issue.message,
          };
        });
      },
      {
        delay: 0,
        needsRefresh: (update) =>
          update.transactions.some((tr) => tr.effects.some((e) => e.is(issuesChanged))),
      },
    );
    const editor = new EditorView({
      parent,
      root: shadow,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          lintGutter(),
          languageSlot.current.of(languageExtension(language)),
          serverLint,
          EditorView.contentAttributes.of({ 'aria-label': label }),
          editorTheme,
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = undefined;
    };
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const current = editor.state.doc.toString();
    if (current !== value) editor.dispatch({ changes: { from: 0, to: current.length, insert: value } });
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: languageSlot.current.reconfigure(languageExtension(language)) });
  }, [language]);

  useEffect(() => {
    serverIssues.current = issues;
    view.current?.dispatch({ effects: issuesChanged.of(null) });
  }, [issues]);

  return <div className="spec-editor" ref={host} />;
}

import { Component, type ErrorInfo, type ReactNode } from 'react';
import { ErrorPanel } from '../components/ErrorPanel.tsx';

/** Keeps one page's crash from blanking the console: shows the error and a way back. */
export class ErrorBoundary extends Component<
  { children: ReactNode; resetKey?: string },
  { error?: unknown }
> {
  override state: { error?: unknown } = {};

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override componentDidUpdate(previous: { resetKey?: string }) {
    // Navigating elsewhere clears the error.
    if (previous.resetKey !== this.props.resetKey && this.state.error !== undefined)
      this.setState({ error: undefined });
  }

  override componentDidCatch(_error: unknown, _info: ErrorInfo) {
    // React already reports the error to the console in development; nothing to send anywhere.
  }

  override render() {
    if (this.state.error !== undefined)
      return (
        <ErrorPanel
          title="This page failed to load"
          error={this.state.error}
          onRetry={() => this.setState({ error: undefined })}
        />
      );
    return this.props.children;
  }
}

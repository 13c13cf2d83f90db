import { lazy, type ReactNode, Suspense, useEffect, useRef } from 'react';
import { Link, Redirect, Route, Router, Switch, useLocation } from 'wouter';
import { ErrorPanel } from '../components/ErrorPanel.tsx';
import { Spinner } from '../components/Spinner.tsx';
import { AuthProvider, useAuthState } from './auth.tsx';
import { ErrorBoundary } from './ErrorBoundary.tsx';
import { SECTIONS, visibleSections } from './nav.ts';
import { SignInPage } from './SignInPage.tsx';
import { ToastProvider } from './toasts.tsx';

// Every page loads on first visit, so the first paint only pays for the shell.
const ServersPage = lazy(() => import('../pages/servers/index.tsx'));
const ServerPage = lazy(() => import('../pages/servers/ServerPage.tsx'));
const CreatePage = lazy(() => import('../pages/create/index.tsx'));
const PlaygroundPage = lazy(() => import('../pages/playground/index.tsx'));
const SearchPage = lazy(() => import('../pages/search/index.tsx'));
const GatewayPage = lazy(() => import('../pages/gateway/index.tsx'));
const ReviewsPage = lazy(() => import('../pages/reviews/index.tsx'));
const TokensPage = lazy(() => import('../pages/tokens/index.tsx'));
const UsersPage = lazy(() => import('../pages/users/index.tsx'));
const AuditPage = lazy(() => import('../pages/audit/index.tsx'));

/** The console is served at /ui/; links inside it are written without that prefix. */
export const BASE = '/ui';

export function App() {
  return (
    <Router base={BASE}>
      <ToastProvider>
        <AuthProvider>
          <Shell />
        </AuthProvider>
      </ToastProvider>
    </Router>
  );
}

function Shell() {
  const auth = useAuthState();
  const [location] = useLocation();
  const firstPath = useRef(location);
  // After navigating, focus moves to the page so screen readers start at its heading (not on first load).
  useEffect(() => {
    if (location === firstPath.current) return;
    firstPath.current = '';
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [location]);
  if (auth.status === 'loading')
    return (
      <main className="page page-center">
        <Spinner label="Checking your session…" />
      </main>
    );
  if (auth.status === 'signed-out') return <SignInPage />;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Header />
      <main id="main" className="page" tabIndex={-1}>
        <ErrorBoundary resetKey={location}>
          <Suspense fallback={<Spinner />}>
            <Routes />
          </Suspense>
        </ErrorBoundary>
      </main>
    </>
  );
}

function Header() {
  const auth = useAuthState();
  const [location] = useLocation();
  const sections = visibleSections(auth.can);
  return (
    <header className="topbar">
      <Link href="/servers" className="brand">
        MCP Factory
      </Link>
      <nav aria-label="Main">
        <ul className="nav-list">
          {sections.map((section) => {
            const current = location === section.path || location.startsWith(`${section.path}/`);
            return (
              <li key={section.path}>
                <Link href={section.path} className="nav-link" aria-current={current ? 'page' : undefined}>
                  {section.label}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <div className="whoami">
        <span>
          {auth.user?.name} <span className="muted">({auth.user?.role})</span>
        </span>
        <button type="button" className="btn btn-ghost" onClick={() => void auth.signOut()}>
          Sign out
        </button>
      </div>
    </header>
  );
}

/** A page behind its permission: without it, say which permission is missing instead of a failing request. */
function Guarded({ permission, children }: { permission: string; children: ReactNode }) {
  const auth = useAuthState();
  if (!auth.can(permission))
    return (
      <>
        <h1>Not allowed</h1>
        <ErrorPanel
          title="Your role cannot open this page"
          error={new Error(`The ${auth.user?.role ?? 'current'} role does not grant ${permission}.`)}
        />
      </>
    );
  return <>{children}</>;
}

function permissionOf(path: string): string {
  return SECTIONS.find((s) => s.path === path)?.permission ?? 'account.self';
}

function Routes() {
  const auth = useAuthState();
  const home = visibleSections(auth.can)[0]?.path ?? '/tokens';
  const page = (path: string, element: ReactNode) => (
    <Guarded permission={permissionOf(path)}>{element}</Guarded>
  );
  return (
    <Switch>
      <Route path="/">
        <Redirect to={home} replace />
      </Route>
      <Route path="/servers">{page('/servers', <ServersPage />)}</Route>
      <Route path="/servers/:name">
        {(params) => page('/servers', <ServerPage name={decodeURIComponent(params.name)} />)}
      </Route>
      <Route path="/create">{page('/create', <CreatePage />)}</Route>
      <Route path="/playground">{page('/playground', <PlaygroundPage />)}</Route>
      <Route path="/search">{page('/search', <SearchPage />)}</Route>
      <Route path="/gateway">{page('/gateway', <GatewayPage />)}</Route>
      <Route path="/reviews">{page('/reviews', <ReviewsPage />)}</Route>
      <Route path="/tokens">{page('/tokens', <TokensPage />)}</Route>
      <Route path="/users">{page('/users', <UsersPage />)}</Route>
      <Route path="/audit">{page('/audit', <AuditPage />)}</Route>
      <Route>
        <h1>Page not found</h1>
        <p>
          There is no console page at this address. <Link href={home}>Go to the start page</Link>.
        </p>
      </Route>
    </Switch>
  );
}

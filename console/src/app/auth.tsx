/**
 * Who is signed in and what they may do. The session lives in an HttpOnly cookie set by POST /auth/session;
 * the console only learns who it is from GET /auth/me, so a reload keeps the session and nothing secret is
 * ever held in script-readable storage.
 */
import { useQueryClient } from '@tanstack/react-query';
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { ApiError, api, onUnauthorized } from '../api/client.ts';

export interface SignedInUser {
  name: string;
  role: string;
  team?: string;
  kind?: 'user' | 'token';
}

export interface Auth {
  user?: SignedInUser;
  permissions: string[];
  can(permission: string): boolean;
  signOut(): Promise<void>;
}

interface AuthState extends Auth {
  status: 'loading' | 'signed-out' | 'signed-in';
  /** Why the last attempt to learn the session failed (not a 401: those just mean "sign in"). */
  problem?: ApiError;
  signIn(credentials: { token: string } | { user: string; password: string }): Promise<void>;
  refresh(): Promise<void>;
}

/** GET /auth/me. */
export interface MeResponse {
  name: string;
  kind: 'user' | 'token';
  role: string;
  team: string | null;
  user: string | null;
  permissions: Array<{ permission: string; reach: string }>;
}

const AuthContext = createContext<AuthState | undefined>(undefined);

export function useAuth(): Auth {
  return useAuthState();
}

export function useAuthState(): AuthState {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth is used outside <AuthProvider>');
  return value;
}

/** The permission names a /auth/me answer grants (any reach counts: the API checks each server itself). */
export function permissionNames(me: Pick<MeResponse, 'permissions'>): string[] {
  return [...new Set(me.permissions.map((p) => p.permission))].sort();
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<AuthState['status']>('loading');
  const [me, setMe] = useState<MeResponse>();
  const [problem, setProblem] = useState<ApiError>();

  const refresh = useCallback(async () => {
    try {
      const answer = await api<MeResponse>('/auth/me');
      setMe(answer);
      setProblem(undefined);
      setStatus('signed-in');
    } catch (error) {
      setMe(undefined);
      setStatus('signed-out');
      if (error instanceof ApiError && error.status !== 401) setProblem(error);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  // Any 401 while signed in (an expired or revoked session) sends the user back to the sign-in page. Signed
  // out, a 401 is expected (the sign-in page's own requests) and must not clear the cache again and again.
  const statusRef = useRef(status);
  statusRef.current = status;
  useEffect(
    () =>
      onUnauthorized(() => {
        if (statusRef.current !== 'signed-in') return;
        setMe(undefined);
        setStatus('signed-out');
        queryClient.clear();
      }),
    [queryClient],
  );

  const signIn = useCallback<AuthState['signIn']>(
    async (credentials) => {
      await api('/auth/session', { method: 'POST', body: credentials });
      queryClient.clear();
      await refresh();
    },
    [queryClient, refresh],
  );

  const signOut = useCallback(async () => {
    try {
      await api('/auth/session', { method: 'DELETE' });
    } finally {
      queryClient.clear();
      setMe(undefined);
      setStatus('signed-out');
    }
  }, [queryClient]);

  const value = useMemo<AuthState>(() => {
    const permissions = me ? permissionNames(me) : [];
    const granted = new Set(permissions);
    return {
      status,
      ...(problem ? { problem } : {}),
      ...(me
        ? {
            user: {
              name: me.name,
              role: me.role,
              kind: me.kind,
              ...(me.team ? { team: me.team } : {}),
            },
          }
        : {}),
      permissions,
      can: (permission: string) => granted.has(permission),
      signIn,
      signOut,
      refresh,
    };
  }, [status, problem, me, signIn, signOut, refresh]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

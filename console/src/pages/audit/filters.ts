/** The audit page's filters as API query parameters, and the time window the API does not filter itself. */

export interface AuditFilters {
  actor?: string;
  action?: string;
  target?: string;
  /** ISO times. */
  from?: string;
  to?: string;
}

export function auditQuery(filters: AuditFilters, limit: number, before?: number): string {
  const params = new URLSearchParams();
  if (filters.actor) params.set('actor', filters.actor);
  if (filters.action) params.set('action', filters.action);
  if (filters.target) params.set('target', filters.target);
  params.set('limit', String(limit));
  if (before !== undefined) params.set('before', String(before));
  return params.toString();
}

export function withinTime(entry: { at: string }, filters: Pick<AuditFilters, 'from' | 'to'>): boolean {
  const at = Date.parse(entry.at);
  if (filters.from && at < Date.parse(filters.from)) return false;
  if (filters.to && at > Date.parse(filters.to)) return false;
  return true;
}

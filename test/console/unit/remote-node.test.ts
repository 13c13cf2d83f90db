/**
 * remoteNodeLogs (console/src/pages/servers/remote-node.ts): the logs tab of a server on another cluster node
 * links to that node's console only for an http(s) address without credentials, with the name kept in its path
 * segment; anything else from the shared registry stays text (the error panel).
 */
import { describe, expect, it } from 'vitest';
import { ApiError, errorFrom } from '../../../console/src/api/client.ts';
import { remoteNodeLogs } from '../../../console/src/pages/servers/remote-node.ts';

const refused = (url: unknown, node: unknown = 'b') =>
  errorFrom(421, {
    error: 'CLUSTER_REMOTE_NODE',
    message: 'two runs on node b; its logs are there',
    details: { server: 'two', node, url, hint: 'GET …' },
  });

describe('remoteNodeLogs', () => {
  it("links to the node's console page of the server, logs tab", () => {
    expect(remoteNodeLogs(refused('http://10.0.0.2:8080'), 'two')).toEqual({
      node: 'b',
      href: 'http://10.0.0.2:8080/ui/servers/two?tab=logs',
    });
    expect(remoteNodeLogs(refused('https://b.example/factory/'), 'two')?.href).toBe(
      'https://b.example/factory/ui/servers/two?tab=logs',
    );
  });

  it('makes no link of a hostile or missing address, and keeps the name in one path segment', () => {
    for (const url of [
      'javascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'http://user:pw@b.example',
      'file:///etc/passwd',
      'not a url',
      null,
      42,
    ])
      expect(remoteNodeLogs(refused(url), 'two'), String(url)).toBeUndefined();
    expect(remoteNodeLogs(refused('http://b.example', { x: 1 }), 'two')).toBeUndefined();
    expect(remoteNodeLogs(refused('http://b.example'), '../../admin?x=1#y')?.href).toBe(
      'http://b.example/ui/servers/..%2F..%2Fadmin%3Fx%3D1%23y?tab=logs',
    );
  });

  it('answers nothing for other errors', () => {
    expect(remoteNodeLogs(new ApiError(404, 'SERVER_NOT_FOUND', 'x'), 'two')).toBeUndefined();
    expect(remoteNodeLogs(new Error('network'), 'two')).toBeUndefined();
  });
});

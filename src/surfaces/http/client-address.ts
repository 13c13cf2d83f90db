/**
 * The peer address of a request, which web-standard `Request` does not carry: the Node adapter records it
 * here and the core reads it (login history). Absent for requests that did not come through a socket.
 */
const addresses = new WeakMap<Request, string>();

export function setClientAddress(request: Request, address: string | undefined): void {
  if (address) addresses.set(request, address);
}

export function clientAddress(request: Request): string | null {
  return addresses.get(request) ?? null;
}

import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/** What the dashboard reads of a request, the same on Express (`req`) and Fastify (`request.raw`). */
export interface DashboardRequest {
  method?: string;
  url?: string;
  originalUrl?: string;
  headers: IncomingHttpHeaders;
  socket?: Socket;
  raw?: { socket?: Socket; url?: string };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether `request` asks to change something (anything but GET, HEAD, OPTIONS). */
export function isStateChanging(request: DashboardRequest): boolean {
  return !SAFE_METHODS.has((request.method ?? 'GET').toUpperCase());
}

/** The peer address of the connection itself: never a header a client or proxy could set. */
export function remoteAddress(request: DashboardRequest): string | undefined {
  return (request.raw?.socket ?? request.socket)?.remoteAddress;
}

/** 127.0.0.0/8 and ::1, also written as IPv4-mapped IPv6 addresses. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const ipv4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ipv4) || address === '::1';
}

/** Whether a proxy forwarded `request`: its connection's address is then the proxy's, not the client's. */
export function isForwarded(request: DashboardRequest): boolean {
  return request.headers.forwarded !== undefined || request.headers['x-forwarded-for'] !== undefined;
}

/** The path the request was made to, global prefix included, without the query. */
export function requestPath(request: DashboardRequest): string {
  const url = request.originalUrl ?? request.raw?.url ?? request.url ?? '/';
  return url.split('?')[0];
}

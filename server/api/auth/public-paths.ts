// Paths served without authentication, as upstream's system:public-info-viewer
// role opens them to anonymous users, and the cluster CA (public by nature) at
// /cacerts as k3s serves it, for agents that pin it from their join token.

export function isPublicPath(path: string): boolean {
  return path === '/version' || path === '/healthz' || path === '/livez' || path === '/readyz' || path === '/cacerts';
}

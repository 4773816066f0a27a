// Paths served without authentication, as upstream's system:public-info-viewer
// role opens them to anonymous users.

export function isPublicPath(path: string): boolean {
  return path === '/version' || path === '/healthz' || path === '/livez' || path === '/readyz';
}

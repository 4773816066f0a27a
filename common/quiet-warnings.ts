// grpc-js sets the TLS server name to the server's address even when that is
// an IP (agents usually dial one), and Node then warns on every connection
// (DEP0123). The name is ignored for IPs anyway; the warning would only
// worry users, so that one warning is dropped and every other one kept.
const emitWarning = process.emitWarning.bind(process);

export function dropIpServerNameWarning(): void {
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0];
    const code = typeof options === 'object' && options !== null ? (options as { code?: string }).code : rest[1];
    if (code === 'DEP0123') return;
    (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

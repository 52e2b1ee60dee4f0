/** Credentials for an emulator on loopback (dynalite, moto), which checks none. */
export const LOOPBACK_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** True for endpoints on this machine (no signing, dummy credentials are fine, plain http is fine). */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

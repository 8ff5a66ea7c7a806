/**
 * Credentials must never reach any output, even with --verbose. Every message that leaves the
 * process passes through here; the cluster adapter also registers the exact secrets it loaded.
 */
const known = new Set<string>();

export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 6) known.add(secret);
}

const patterns: RegExp[] = [
  /(authorization:\s*)(bearer|basic)\s+[^\s"',]+/gi,
  /(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi,
  /("?(?:token|password|client-key-data|client-certificate-data|access-token|refresh-token|id-token)"?\s*[:=]\s*)"?[^\s"',}]+"?/gi,
];

export function redact(text: string): string {
  let out = text;
  for (const secret of known) out = out.split(secret).join('[REDACTED]');
  for (const p of patterns) out = out.replace(p, (_m, prefix: string) => `${prefix}[REDACTED]`);
  return out;
}

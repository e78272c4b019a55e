// Jest globalTeardown for the integration project: stops what global-setup started (same
// process, handed over on globalThis; the type is declared in global-setup.ts). Stopping twice
// is harmless.
import { rm } from 'node:fs/promises';

export default async function globalTeardown(): Promise<void> {
  const infra = globalThis.__SLUICE_INFRA__;
  globalThis.__SLUICE_INFRA__ = undefined;
  if (!infra) return;
  await Promise.all([infra.cluster?.stop(), infra.s3?.stop()]);
  if (infra.infraFile) await rm(infra.infraFile, { force: true });
}
